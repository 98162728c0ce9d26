//! `edgeway up --log-format`: how the local host writes the gateway's access-log lines.
use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use edgeway_host::LogFormat;

/// The flag, for `#[command(flatten)]`.
#[derive(Args)]
pub struct LogFormatArgs {
    /// Local host: the gateway's access log as short coloured lines (`human`), or as the
    /// gateway writes them, one JSON object per line (`json`); `auto` picks `human` when
    /// stderr is a terminal, `json` otherwise.
    #[arg(long, value_enum, default_value_t = LogFormatChoice::Auto)]
    log_format: LogFormatChoice,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormatChoice {
    Auto,
    Human,
    Json,
}

impl LogFormatArgs {
    /// The host's format for this process's stderr.
    pub fn host_format(&self) -> LogFormat {
        let terminal = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        choose(self.log_format, terminal, no_color)
    }
}

/// `human` on a terminal (in colour unless `NO_COLOR` is set), `json` elsewhere, unless the
/// flag says which; a human log written to a pipe or file gets no colour.
fn choose(choice: LogFormatChoice, terminal: bool, no_color: bool) -> LogFormat {
    let human = LogFormat::Human {
        color: terminal && !no_color,
    };
    match choice {
        LogFormatChoice::Json => LogFormat::Json,
        LogFormatChoice::Human => human,
        LogFormatChoice::Auto if terminal => human,
        LogFormatChoice::Auto => LogFormat::Json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_human_on_a_terminal_only() {
        use LogFormatChoice::*;
        let cases = [
            (Auto, true, false, LogFormat::Human { color: true }),
            (Auto, true, true, LogFormat::Human { color: false }),
            (Auto, false, false, LogFormat::Json),
            (Human, false, false, LogFormat::Human { color: false }),
            (Human, true, false, LogFormat::Human { color: true }),
            (Json, true, false, LogFormat::Json),
        ];
        for (choice, terminal, no_color, expected) in cases {
            assert_eq!(choose(choice, terminal, no_color), expected);
        }
    }
}
