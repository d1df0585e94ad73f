// No path outside tests may panic: an operator's run must end in a report, never in a backtrace.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::unreachable)]

use clap::Parser;
use pinpoint_iam_wizard::cli::{self, Cli, CliError, Format, output};
use pinpoint_iam_wizard::secret::keeper;
use std::io::Write;
use std::process::ExitCode;

/// Every block this process frees is wiped first: the SDK's response buffers, the XML it parses, hyper's
/// and the terminal's buffers are not ours to zeroize, and one of them holds a new key's secret. Measured
/// with `scripts/bench` (README); it cannot reach memory not freed through Rust's allocator (the kernel's
/// socket buffers, the C library's own).
#[global_allocator]
static ALLOCATOR: secmem_alloc::zeroizing_alloc::ZeroizeAlloc<std::alloc::System> =
    secmem_alloc::zeroizing_alloc::ZeroizeAlloc::new(std::alloc::System);

/// Whether the raw arguments ask for `--format json` (read before they could be parsed).
fn asks_for_json(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    args.iter().any(|a| a == "--format=json") || args.windows(2).any(|w| w[0] == "--format" && w[1] == "json")
}

#[tokio::main]
async fn main() -> ExitCode {
    // Before anything can hold a secret: no core dump, no same-user debugger. A failure is said, not fatal.
    if let Err(e) = pinpoint_iam_wizard::secret::dumps::forbid() {
        let _ = writeln!(std::io::stderr(), "warning: could not forbid core dumps: {e}");
    }
    // The clipboard keeper: this binary, started by the wizard on exit to serve a copied secret until its
    // countdown ends (it reads the secret from a pipe, never from its arguments).
    if std::env::args_os().nth(1).is_some_and(|a| a == keeper::ARG) {
        return keeper::run();
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --format json says what happened on standard output even when the arguments themselves are wrong.
            let code = u8::try_from(e.exit_code()).unwrap_or(2);
            if code == 2 && asks_for_json(std::env::args_os()) {
                let text = cli::usage_error_text(&e);
                let _ = output::deliver_json(&output::ErrorOut { error: &text, exit_code: code });
            }
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
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
            Ok(report) => {
                let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
                for line in &report.lines {
                    // A usage problem (no terminal) goes to stderr; what exists in the account to stdout.
                    let _ = if report.code == 2 { writeln!(err, "{line}") } else { writeln!(out, "{line}") };
                }
                ExitCode::from(report.code)
            }
            Err(e) => {
                pinpoint_iam_wizard::say!("error: the terminal failed: {e}");
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
            pinpoint_iam_wizard::say!("error: {text}");
            if format == Format::Json && !output::json_printed() {
                // --format json always says what happened, on standard output, even before any AWS call.
                let _ = output::deliver_json(&output::ErrorOut { error: &text, exit_code: e.code() });
            }
            e.exit_code()
        }
    }
}
