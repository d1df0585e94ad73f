use clap::Parser;
use pinpoint_iam_wizard::cli::{self, Cli};
use pinpoint_iam_wizard::secret::keeper;
use std::io::Write;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // The clipboard keeper: this binary, started by the wizard on exit to serve a copied secret until its
    // countdown ends (it reads the secret from a pipe, never from its arguments).
    if std::env::args_os().nth(1).is_some_and(|a| a == keeper::ARG) {
        return keeper::run();
    }
    let cli = Cli::parse();
    if cli.command.is_none() {
        return match pinpoint_iam_wizard::tui::run(
            cli.connection(),
            std::time::Duration::from_secs(cli.clipboard_timeout),
        )
        .await
        {
            Ok(report) => {
                let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
                for line in &report.lines {
                    // A usage problem (no terminal) goes to stderr; what exists in the account to stdout.
                    let _ = if report.code == 2 { writeln!(err, "{line}") } else { writeln!(out, "{line}") };
                }
                ExitCode::from(report.code)
            }
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
