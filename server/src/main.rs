#![forbid(unsafe_code)]
//! `server`: parses the command line and runs it (`cli`); prints what went wrong.
use server::{cli, telemetry};
use std::process::ExitCode;

/// mimalloc rather than the system's allocator: with ten thousand
/// connections open at once (a day of fame, issue 27) glibc's kept their
/// memory after they closed; mimalloc gives freed pages back to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::parse();
    telemetry::init();
    match cli::run(args.command.unwrap_or(cli::Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
