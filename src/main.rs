// No path outside tests may panic: an operator's run must end in a report, never in a backtrace.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::unreachable)]

use clap::Parser;
use pinpoint_iam_wizard::cli::{self, Cli, CliError, Format, output};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.aws.debug {
        pinpoint_iam_wizard::debug::install();
    }
    if cli.command.is_none() {
        return match pinpoint_iam_wizard::tui::run(
            cli.connection(),
            std::time::Duration::from_secs(cli.clipboard_timeout),
        )
        .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: the terminal failed: {e}");
                ExitCode::from(1)
            }
        };
    }
    // SIGPIPE stays ignored (Rust's default): a closed pipe is a write error the commands handle, so a key
    // whose secret could not be delivered is deleted rather than left behind by a killed process.
    let format = cli.format();
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Quiet) => ExitCode::from(1),
        Err(e) => {
            let text = e.to_string();
            eprintln!("error: {text}");
            if format == Format::Json && !output::json_printed() {
                // --format json always says what happened, on standard output, even before any AWS call.
                let _ = output::deliver_json(&output::ErrorOut { error: &text, exit_code: e.code() });
            }
            e.exit_code()
        }
    }
}
