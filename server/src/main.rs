#![forbid(unsafe_code)]

use app::ssr::demo;
use clap::{Parser, Subcommand};
use server::{
    configuration::Settings,
    startup::{open_database, Application},
    telemetry,
};
use std::process::ExitCode;

/// Lumières: the case tracker of the Villes Lumières network.
///
/// Configuration comes from the environment: DATABASE_URL (default
/// sqlite://data/lumieres.db), DATABASE_MAX_CONNECTIONS (10), LEPTOS_SITE_ADDR
/// (127.0.0.1:3000), LEPTOS_SITE_ROOT (target/site), RUST_LOG (info).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (the default). Migrates the database first.
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Load the City of Brussels demo data (its five adopted persons).
    SeedDemo {
        /// Load only into a database that holds no person yet.
        #[arg(long)]
        if_empty: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let settings = Settings::from_env().map_err(|e| e.to_string())?;
    match command {
        Command::Serve => {
            let app = Application::build(&settings)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(backend = app.db().backend(), "database ready");
            println!(
                "Lumières is running at http://{}:{}/",
                settings.site_addr.ip(),
                app.port()
            );
            app.run_until_stopped(shutdown_signal())
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Migrate => {
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            println!("database is up to date ({})", db.backend());
            db.close().await;
            Ok(())
        }
        Command::SeedDemo { if_empty } => {
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let outcome = demo::load(&db, if_empty)
                .await
                .map_err(|e| format!("cannot load the demo data: {e}"))?;
            match outcome {
                demo::Outcome::Loaded { persons, events } => {
                    println!("demo data loaded: the City of Brussels, {persons} persons, {events} status events")
                }
                demo::Outcome::AlreadyPresent => {
                    println!("demo data already present; nothing changed")
                }
                demo::Outcome::NotEmpty => {
                    println!("the database already holds persons; demo data not loaded")
                }
            }
            db.close().await;
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, so that requests in flight can finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
