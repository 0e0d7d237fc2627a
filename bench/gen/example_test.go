package gen_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/kudulens/kudulens/bench/gen"
)

// A simulation is a stream of events; renderers turn it into the real formats.
func Example() {
	sim, err := gen.New(gen.Config{
		Seed:      1,
		Start:     time.Date(2026, 11, 19, 3, 12, 0, 0, time.UTC),
		End:       time.Date(2026, 11, 19, 3, 13, 0, 0, time.UTC),
		Instances: []string{"5b7e2d"},
		Jobs:      []string{gen.AppInsightsImporter},
	})
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	kudu, _ := gen.NewKuduLog(&b, gen.KuduOptions{Cap: true})
	n := 0
	sim.Run(func(e *gen.Event) error {
		if n++; n > 8 {
			return gen.ErrStop
		}
		return kudu.Write(e)
	})
	// Kudu ends lines with CRLF; shown here with LF.
	fmt.Print(strings.ReplaceAll(b.String(), "\r\n", "\n"))
	// Output:
	// [11/19/2026 03:12:00 > 5b7e2d: SYS INFO] Status changed to Starting
	// [11/19/2026 03:12:00 > 5b7e2d: SYS INFO] WebJob singleton setting is False
	// [11/19/2026 03:12:00 > 5b7e2d: SYS INFO] Run script 'SPOInsights.WebJob.AppInsightsImporter.exe' with script host - 'WindowsScriptHost'
	// [11/19/2026 03:12:00 > 5b7e2d: SYS INFO] Status changed to Running
	// [11/19/2026 03:12:02 > 5b7e2d: INFO] 03-12-02:30: Office 365 Advanced Analytics engine START: 'Build 1312'.
	// [11/19/2026 03:12:02 > 5b7e2d: INFO] 03-12-02:30: Destination SQL Server='contoso-sql.privatelink.database.windows.net', DB='AnalyticsDB'.
	// [11/19/2026 03:12:02 > 5b7e2d: INFO] 03-12-02:30: Import logging is disabled. Add key 'ImportLogging' value 'True' to configuration to enable full logging.
	// [11/19/2026 03:12:02 > 5b7e2d: INFO] 03-12-02:31: Configured values:
}

// Generate writes one big file of a kind, stopping at a size.
func ExampleGenerate() {
	var b strings.Builder
	n, err := gen.Generate(&b, gen.GenerateOptions{
		Config: gen.BenchConfig(1, time.Time{}, 2),
		Kind:   gen.KindAppLogCSV,
		Size:   300,
	})
	fmt.Println(n, err)
	fmt.Print(b.String()[:len(gen.CSVHeader)])
	// Output:
	// 440 <nil>
	// date,level,applicationName,instanceId,eventTickCount,eventId,pid,tid,message,activityId
}
