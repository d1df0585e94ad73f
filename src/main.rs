use clap::Parser;
use pinpoint_iam_wizard::cli::{self, Cli};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
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
    // Headless output piped into `head` and the like: end quietly when the reader goes, like other Unix tools.
    // SAFETY: called before any other thread writes to stdout; SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
