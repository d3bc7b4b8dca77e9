//! Every setting of `quantarya serve`, read off the command line's own definitions (`config.rs`): what `serve
//! --help` lists and what the README's Configuration table says are made from one place, and a test holds the
//! README to it (`tests/readme.rs`), so the two cannot drift.

use clap::CommandFactory;

use crate::config::Cli;

/// The one setting that is not a flag: the log filter, read by the log subscriber itself.
pub const LOG_FILTER: (&str, &str) = ("RUST_LOG", "Log filter (default `info`); logs never carry credentials");

/// What `serve --help` says after its options.
pub const SERVE_AFTER_HELP: &str = "Environment only: RUST_LOG, the log filter (default info).";

/// One cell's text: no line breaks, and a `|` that does not end the cell.
fn cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

/// A row of the table; an empty cell is one space.
fn row(cells: [&str; 3]) -> String {
    let cells: Vec<String> =
        cells.iter().map(|c| if c.is_empty() { " ".to_owned() } else { format!(" {c} ") }).collect();
    format!("|{}|\n", cells.join("|"))
}

/// The README's table of `serve`'s settings, in the order `serve --help` lists them: the environment variable, the
/// flag, and the help text with the default value when there is one.
pub fn serve_settings_table() -> String {
    let mut cli = Cli::command();
    cli.build();
    let mut table = String::from("| setting | flag | meaning |\n|---|---|---|\n");
    let Some(serve) = cli.get_subcommands().find(|command| command.get_name() == "serve") else {
        return table;
    };
    for arg in serve.get_arguments().filter(|arg| !arg.is_hide_set()) {
        let Some(long) = arg.get_long() else { continue };
        if long == "help" {
            continue;
        }
        let env = arg.get_env().map(|env| format!("`{}`", env.to_string_lossy())).unwrap_or_default();
        let mut meaning = arg.get_help().map(|help| cell(&help.to_string())).unwrap_or_default();
        let defaults: Vec<String> =
            arg.get_default_values().iter().map(|value| value.to_string_lossy().into_owned()).collect();
        if !defaults.is_empty() && arg.get_num_args().is_none_or(|n| n.takes_values()) {
            meaning.push_str(&format!(" (default `{}`)", defaults.join(",")));
        }
        table.push_str(&row([&env, &format!("`--{long}`"), &meaning]));
    }
    let (name, meaning) = LOG_FILTER;
    table.push_str(&row([&format!("`{name}`"), "", meaning]));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_of_serve_has_a_row_and_its_environment_variable() {
        let table = serve_settings_table();
        for (env, flag) in [
            ("QUANTARYA_BIND", "--bind"),
            ("DATABASE_URL", "--database-url"),
            ("QUANTARYA_JWT_SECRET", "--jwt-secret"),
            ("QUANTARYA_RATE_KEY_PER_MIN", "--rate-key-per-min"),
            ("QUANTARYA_WEBHOOKS_RETRY_SCHEDULE", "--webhooks-retry-schedule"),
        ] {
            assert!(table.contains(&format!("| `{env}` | `{flag}` |")), "{env} {flag} in\n{table}");
        }
        assert!(table.contains("| | `--in-memory` |"), "a flag without a variable: {table}");
        assert!(table.contains("(default `127.0.0.1:8080`)"), "defaults are shown: {table}");
        assert!(!table.contains("--help"), "{table}");
        assert!(table.lines().all(|line| line.starts_with('|') && line.ends_with('|')), "{table}");
    }
}
