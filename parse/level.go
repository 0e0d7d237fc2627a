package parse

// Level is the severity token Kudu writes in the line prefix. Application-log levels are mapped
// onto it (Information → Info, Warning → Warn, Error → Err, Verbose → Verbose).
type Level uint8

const (
	Info Level = iota
	Warn
	Err
	Verbose
	numLevels
)

var levelNames = [numLevels]string{"INFO", "WARN", "ERR", "VERBOSE"}

func (l Level) String() string {
	if l < numLevels {
		return levelNames[l]
	}
	return "INVALID"
}

// LevelNames lists the names of the levels indexed by Level, for dictionary-encoded columns.
func LevelNames() []string { return levelNames[:] }
