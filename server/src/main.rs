#![forbid(unsafe_code)]
//! `server`: parses the command line and runs it (`cli`); prints what went wrong.
use server::{cli, telemetry};
use std::process::ExitCode;

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
