package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

const completionHelp = `Usage: kudulens completion bash|zsh|powershell

Prints a shell completion script for kudulens' commands and their flags, made from the same
definitions the commands parse their flags with (so it never lists a flag that is gone).

Examples:
  kudulens completion bash > /etc/bash_completion.d/kudulens
  source <(kudulens completion bash)                       # this bash session only
  kudulens completion zsh > "${fpath[1]}/_kudulens"         # then: autoload -U compinit && compinit
  kudulens completion powershell | Out-String | Invoke-Expression   # add to $PROFILE to keep it
`

// cmdFlags is one command with its flags, as its flag set defines them.
type cmdFlags struct {
	name, summary string
	set           *pflag.FlagSet // the command's own, kept while it ran with --help
	flags         []*pflag.Flag
}

// commandFlags collects every command's flags by running it with --help and keeping the flag
// set it parses with (env.flagSets); the help text goes nowhere.
func commandFlags(ctx context.Context) []cmdFlags {
	var out []cmdFlags
	for _, c := range commands() {
		cf := cmdFlags{name: c.name, summary: c.summary}
		if c.name != "completion" {
			e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
				getenv:   func(string) string { return "" },
				flagSets: func(fs *pflag.FlagSet) { cf.set = fs }}
			c.run(ctx, []string{"--help"}, e)
		}
		out = append(out, cf)
	}
	return out
}

func runCompletion(ctx context.Context, args []string, e *env) int {
	fs := newFlagSet("completion", completionHelp, e)
	if code := parseFlags(fs, args, e); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "kudulens completion: name one shell: bash, zsh or powershell (see --help)")
		return exitUsage
	}
	cmds := commandFlags(ctx)
	for i := range cmds {
		if cmds[i].set != nil {
			cmds[i].set.VisitAll(func(f *pflag.Flag) {
				if !f.Hidden { // internal flags (diagnose --fleet-worker) are not offered
					cmds[i].flags = append(cmds[i].flags, f)
				}
			})
		}
		sort.Slice(cmds[i].flags, func(a, b int) bool { return cmds[i].flags[a].Name < cmds[i].flags[b].Name })
	}
	switch fs.Arg(0) {
	case "bash":
		fmt.Fprint(e.stdout, bashCompletion(cmds))
	case "zsh":
		fmt.Fprint(e.stdout, zshCompletion(cmds))
	case "powershell", "pwsh":
		fmt.Fprint(e.stdout, powershellCompletion(cmds))
	default:
		hint := ""
		if c := closest(fs.Arg(0), []string{"bash", "zsh", "powershell"}); c != "" {
			hint = fmt.Sprintf("; did you mean %q?", c)
		}
		fmt.Fprintf(e.stderr, "kudulens completion: no completion for %q%s (bash, zsh or powershell)\n", fs.Arg(0), hint)
		return exitUsage
	}
	return exitOK
}

// flagWords are a command's flags as typed: --name and -n.
func flagWords(c cmdFlags) []string {
	var w []string
	for _, f := range c.flags {
		w = append(w, "--"+f.Name)
		if f.Shorthand != "" {
			w = append(w, "-"+f.Shorthand)
		}
	}
	return w
}

// takesValue reports whether f is given a value (--db FILE), not a switch (--quiet).
func takesValue(f *pflag.Flag) bool { return f.NoOptDefVal == "" }

func commandNames(cmds []cmdFlags) []string {
	var n []string
	for _, c := range cmds {
		n = append(n, c.name)
	}
	return n
}

func bashCompletion(cmds []cmdFlags) string {
	var b strings.Builder
	b.WriteString(`# bash completion for kudulens (kudulens completion bash)
_kudulens() {
    local cur prev cmd opts
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=( $(compgen -W "` + strings.Join(commandNames(cmds), " ") + ` help --help --version -v" -- "$cur") )
        return 0
    fi
    cmd="${COMP_WORDS[1]}"
    case "$cmd" in
`)
	var valued []string
	seen := map[string]bool{}
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s) opts=%q ;;\n", c.name, strings.Join(flagWords(c), " "))
		for _, f := range c.flags {
			if takesValue(f) && !seen[f.Name] {
				seen[f.Name] = true
				valued = append(valued, "--"+f.Name)
			}
		}
	}
	sort.Strings(valued)
	b.WriteString(`        *) opts="" ;;
    esac
    if [ "$cmd" = completion ]; then
        COMPREPLY=( $(compgen -W "bash zsh powershell" -- "$cur") )
        return 0
    fi
    case "$prev" in
        --format) COMPREPLY=( $(compgen -W "text json md html table csv" -- "$cur") ); return 0 ;;
        --fail-on) COMPREPLY=( $(compgen -W "error warning info never" -- "$cur") ); return 0 ;;
        ` + strings.Join(valued, "|") + `) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    else
        COMPREPLY=( $(compgen -f -- "$cur") )
    fi
    return 0
}
complete -o default -o filenames -F _kudulens kudulens
`)
	return b.String()
}

// zshText makes a usage text safe inside a single-quoted _arguments spec: no quote, and no
// brackets or colons, which _arguments reads as its own syntax.
func zshText(s string) string {
	return strings.NewReplacer("'", "", "[", "(", "]", ")", ":", " -", "\\", "/", "\n", " ").Replace(s)
}

func zshCompletion(cmds []cmdFlags) string {
	var b strings.Builder
	b.WriteString("#compdef kudulens\n# zsh completion for kudulens (kudulens completion zsh)\n\n_kudulens() {\n    local -a commands\n    commands=(\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "        '%s:%s'\n", c.name, zshText(c.summary))
	}
	b.WriteString("    )\n    if (( CURRENT == 2 )); then\n        _describe 'command' commands\n        return\n    fi\n    case $words[2] in\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s)\n            _arguments -s \\\n", c.name)
		for _, f := range c.flags {
			val := ""
			if takesValue(f) {
				val = ":" + f.Name + ":_files"
			}
			fmt.Fprintf(&b, "                '--%s[%s]%s' \\\n", f.Name, zshText(f.Usage), val)
			if f.Shorthand != "" {
				fmt.Fprintf(&b, "                '-%s[%s]%s' \\\n", f.Shorthand, zshText(f.Usage), val)
			}
		}
		if c.name == "completion" {
			b.WriteString("                '1:shell:(bash zsh powershell)'\n            ;;\n")
		} else {
			b.WriteString("                '*:source:_files'\n            ;;\n")
		}
	}
	b.WriteString("    esac\n}\n\ncompdef _kudulens kudulens 2>/dev/null || _kudulens \"$@\"\n")
	return b.String()
}

// psText quotes s for a single-quoted PowerShell string.
func psText(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func powershellCompletion(cmds []cmdFlags) string {
	var b strings.Builder
	b.WriteString(`# PowerShell completion for kudulens (kudulens completion powershell)
Register-ArgumentCompleter -Native -CommandName kudulens, kudulens.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $commands = [ordered]@{
`)
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s = %s\n", psText(c.name), psText(c.summary))
	}
	b.WriteString("    }\n    $flags = @{\n")
	for _, c := range cmds {
		var items []string
		for _, w := range flagWords(c) {
			items = append(items, psText(w))
		}
		fmt.Fprintf(&b, "        %s = @(%s)\n", psText(c.name), strings.Join(items, ", "))
	}
	b.WriteString(`    }
    $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
    if ($words.Count -lt 2 -or ($words.Count -eq 2 -and $wordToComplete -ne '')) {
        foreach ($name in $commands.Keys) {
            if ($name -like "$wordToComplete*") {
                [System.Management.Automation.CompletionResult]::new($name, $name, 'ParameterValue', $commands[$name])
            }
        }
        return
    }
    $cmd = $words[1]
    if ($cmd -eq 'completion') {
        foreach ($shell in @('bash', 'zsh', 'powershell')) {
            if ($shell -like "$wordToComplete*") {
                [System.Management.Automation.CompletionResult]::new($shell, $shell, 'ParameterValue', $shell)
            }
        }
        return
    }
    if ($wordToComplete -like '-*' -and $flags.ContainsKey($cmd)) {
        foreach ($flag in $flags[$cmd]) {
            if ($flag -like "$wordToComplete*") {
                [System.Management.Automation.CompletionResult]::new($flag, $flag, 'ParameterName', $flag)
            }
        }
    }
}
`)
	return b.String()
}
