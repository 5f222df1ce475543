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
/// (127.0.0.1:3000), LEPTOS_SITE_ROOT (target/site), OUTBOX_DIR (data/outbox),
/// SMTP_URL (none: mail goes to files), MAIL_FROM, PUBLIC_URL, SIGNING_RATE_LIMIT_PER_MINUTE
/// (10), CLIENT_IP_HEADER (none), RUST_LOG (info). The README explains each.
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
    /// Manage support actions (until staff pages exist).
    #[command(subcommand)]
    Action(ActionCommand),
    /// Create a staff account. The password is read from the terminal (asked
    /// twice), or from the first line of standard input when it is not a
    /// terminal: `printf '%s\n' "$PASSWORD" | server create-user …`.
    CreateUser {
        #[arg(long)]
        email: String,
        /// admin, council or comms.
        #[arg(long)]
        role: String,
        /// For council members: the slug of their municipality, e.g. brussels.
        #[arg(long)]
        municipality: Option<String>,
        /// The name shown in the audit log; the email's local part if left out.
        #[arg(long)]
        name: Option<String>,
    },
    /// Add a municipality to the network, so that its council members can
    /// have accounts: `server add-municipality --slug liege --name "Ville de
    /// Liège" --country BE [--joined 2024-03]`.
    AddMunicipality {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Two-letter country code, e.g. BE.
        #[arg(long)]
        country: String,
        /// When it joined the network: 2024, 2024-03 or 2024-03-15.
        #[arg(long)]
        joined: Option<String>,
    },
    /// Partner feeds this site follows.
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Fetch every due partner feed once, store what is new, and exit.
    SyncFeeds,
    /// Reports on signing abuse.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Write the confirmed signatures of an action as CSV (name, place,
    /// country, confirmed at), for delivery to its addressee. No email addresses.
    ExportSignatures {
        /// The action's slug.
        action: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// List client addresses and email domains with unusual bursts of
    /// signature requests, per time bucket, biggest first.
    Spikes {
        /// How far back to look, in hours.
        #[arg(long, default_value_t = 24)]
        hours: i64,
        /// Bucket length, in minutes.
        #[arg(long, default_value_t = 10)]
        minutes: i64,
        /// List an address from this many requests in one bucket.
        #[arg(long, default_value_t = 20)]
        per_address: u64,
        /// List a domain from this many requests in one bucket...
        #[arg(long, default_value_t = 50)]
        per_domain: u64,
        /// ...when they are also more than this percentage of the bucket.
        #[arg(long, default_value_t = 30)]
        domain_percent: u32,
    },
}

#[derive(Subcommand)]
enum FeedCommand {
    /// Follow a partner's feed (RSS, Atom or JSON Feed).
    Add {
        #[arg(long)]
        url: String,
        /// The partner's name, shown as the source of what the feed brings.
        #[arg(long)]
        partner: String,
        /// The person an entry is about when it names nobody we know.
        #[arg(long)]
        person: Option<String>,
        /// Publish matched entries without review.
        #[arg(long)]
        trusted: bool,
    },
    /// List followed feeds with their state.
    List,
    /// Stop following a feed (by its id from `feed list`); what it brought stays.
    Remove { id: i64 },
}

#[derive(Subcommand)]
enum ActionCommand {
    /// Open a new support action for a public person.
    Create {
        /// The person's slug, e.g. vahid-afkari.
        #[arg(long)]
        person: String,
        /// The action's own slug, used in its address /actions/SLUG.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        title: String,
        /// The text of the action; simple HTML is kept, anything else is removed.
        #[arg(long)]
        text: String,
        /// Who the action is addressed to.
        #[arg(long)]
        addressee: String,
        /// How many confirmed signatures the action aims for.
        #[arg(long)]
        goal: u32,
        /// First day it takes signatures (YYYY-MM-DD); today if left out.
        #[arg(long)]
        opens: Option<String>,
        /// Last day it takes signatures (YYYY-MM-DD); no deadline if left out.
        #[arg(long)]
        closes: Option<String>,
    },
    /// Close an action: it stops taking signatures; confirmed ones still count.
    Close { slug: String },
    /// List every action with its confirmed signatures.
    List,
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
                demo::Outcome::Loaded { persons, events, actions } => println!(
                    "demo data loaded: the City of Brussels, {persons} persons, {events} status events, \
                     {actions} support actions"
                ),
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
        Command::CreateUser {
            email,
            role,
            municipality,
            name,
        } => {
            use app::domain::{Email, PersonName, Role, Slug};
            use app::ssr::accounts::{check_password_length, create_user, NewUser};
            let email = Email::parse(&email).map_err(|e| format!("--email: {e}"))?;
            let role = Role::parse(&role).map_err(|e| format!("--role: {e}"))?;
            let municipality = municipality
                .map(|m| Slug::parse(&m).map_err(|e| format!("--municipality: {e}")))
                .transpose()?;
            let name = name.unwrap_or_else(|| {
                email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            });
            let name = PersonName::parse(&name).map_err(|e| format!("--name: {e}"))?;
            let password = read_password()?;
            check_password_length(&password).map_err(|e| e.to_string())?;
            let user = NewUser {
                email,
                name,
                role,
                municipality,
            };
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let created =
                create_user(&db, None, &user, &password, app::ssr::outbox::unix_now()).await;
            db.close().await;
            created.map_err(|e| e.to_string())?;
            match &user.municipality {
                Some(m) => println!("{} account {} created for {m}", role.slug(), user.email),
                None => println!("{} account {} created", role.slug(), user.email),
            }
            Ok(())
        }
        Command::Feed(command) => {
            use app::ssr::feed_sync;
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let result = match command {
                FeedCommand::Add {
                    url,
                    partner,
                    person,
                    trusted,
                } => {
                    let partner = app::domain::Line::parse(&partner)
                        .map_err(|e| format!("--partner: {e}"))?;
                    let feed = feed_sync::NewFeed {
                        url,
                        partner: partner.to_string(),
                        default_person: person,
                        trusted,
                    };
                    feed_sync::add(&db, None, &feed, app::ssr::outbox::unix_now())
                        .await
                        .map(|id| println!("feed {id} added: {}", feed.url.trim()))
                        .map_err(|e| e.to_string())
                }
                FeedCommand::List => feed_sync::list(&db)
                    .await
                    .map(|feeds| {
                        for f in feeds {
                            let state = match (f.enabled, f.flagged) {
                                (false, _) => "disabled",
                                (true, true) => "flagged",
                                (true, false) => "enabled",
                            };
                            println!(
                                "{}\t{}\t{}\t{state}{}\t{} entries\t{} errors\t{}",
                                f.id,
                                f.partner,
                                f.url,
                                if f.trusted { ", trusted" } else { "" },
                                f.entries,
                                f.error_count,
                                f.last_error.unwrap_or_default()
                            );
                        }
                    })
                    .map_err(|e| e.to_string()),
                FeedCommand::Remove { id } => feed_sync::remove(&db, None, id)
                    .await
                    .map(|()| println!("feed {id} no longer followed"))
                    .map_err(|e| e.to_string()),
            };
            db.close().await;
            result
        }
        Command::SyncFeeds => {
            use app::ssr::feed_sync;
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let report =
                feed_sync::run_pass(&db, &feed_sync::client(), app::ssr::outbox::unix_now()).await;
            db.close().await;
            let r = report.map_err(|e| e.to_string())?;
            println!(
                "{} feeds fetched: {} new entries ({} published), {} not modified, {} failed",
                r.feeds, r.new_entries, r.published, r.not_modified, r.failed
            );
            Ok(())
        }
        Command::AddMunicipality {
            slug,
            name,
            country,
            joined,
        } => {
            use app::ssr::municipalities::{add, NewMunicipality};
            let municipality = NewMunicipality {
                slug: app::domain::Slug::parse(&slug).map_err(|e| format!("--slug: {e}"))?,
                name: app::domain::Line::parse(&name).map_err(|e| format!("--name: {e}"))?,
                country: app::domain::CountryCode::parse(&country.to_uppercase())
                    .map_err(|e| format!("--country: {e}"))?,
                joined_on: joined
                    .map(|j| {
                        app::domain::PartialDate::parse(&j).map_err(|e| format!("--joined: {e}"))
                    })
                    .transpose()?,
            };
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let added = add(&db, None, &municipality).await;
            db.close().await;
            added.map_err(|e| e.to_string())?;
            println!(
                "municipality {} ({}) added",
                municipality.slug, municipality.name
            );
            Ok(())
        }
        Command::Report(ReportCommand::Spikes {
            hours,
            minutes,
            per_address,
            per_domain,
            domain_percent,
        }) => {
            use app::api::signatures::queries::{spikes, SpikeRules, SpikeSource};
            if hours <= 0 || minutes <= 0 {
                return Err("--hours and --minutes must be positive".into());
            }
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let rules = SpikeRules {
                since: app::ssr::outbox::unix_now() - hours * 3600,
                bucket_seconds: minutes * 60,
                min_per_address: per_address,
                min_per_domain: per_domain,
                min_domain_share: f64::from(domain_percent) / 100.0,
            };
            let found = spikes(&db, rules).await;
            db.close().await;
            let found = found.map_err(|e| e.to_string())?;
            if found.is_empty() {
                println!("no spike in the last {hours} h");
            }
            for spike in found {
                let start = chrono::DateTime::from_timestamp(spike.bucket_start, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default();
                let source = match spike.source {
                    SpikeSource::Address => "address",
                    SpikeSource::EmailDomain => "domain",
                };
                println!(
                    "{start}\t{source}\t{}\t{} requests of {} in {minutes} min\t{} confirmed",
                    spike.key, spike.requests, spike.bucket_total, spike.confirmed
                );
            }
            Ok(())
        }
        Command::ExportSignatures { action, output } => {
            let slug = app::domain::Slug::parse(&action).map_err(|e| format!("ACTION: {e}"))?;
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let rows = app::api::signatures::queries::confirmed_for_delivery(&db, &slug).await;
            db.close().await;
            let rows = rows.map_err(|e| e.to_string())?;
            let csv = app::ssr::export::signatures_csv(&rows).map_err(|e| e.to_string())?;
            match output {
                Some(path) => {
                    std::fs::write(&path, csv)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    eprintln!(
                        "{} confirmed signatures written to {}",
                        rows.len(),
                        path.display()
                    );
                }
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&csv)
                        .map_err(|e| format!("cannot write: {e}"))?;
                }
            }
            Ok(())
        }
        Command::Action(command) => {
            let db = open_database(&settings).await.map_err(|e| e.to_string())?;
            let result = action_command(&db, command).await;
            db.close().await;
            result
        }
    }
}

async fn action_command(db: &app::ssr::db::Db, command: ActionCommand) -> Result<(), String> {
    use app::api::actions::{queries, NewSupportAction};
    use app::domain::{Line, PartialDate, Slug};
    fn field<T, E: std::fmt::Display>(name: &str, parsed: Result<T, E>) -> Result<T, String> {
        parsed.map_err(|e| format!("--{name}: {e}"))
    }
    match command {
        ActionCommand::Create {
            person,
            slug,
            title,
            text,
            addressee,
            goal,
            opens,
            closes,
        } => {
            let action = NewSupportAction {
                person: field("person", Slug::parse(&person))?,
                slug: field("slug", Slug::parse(&slug))?,
                title: field("title", Line::parse(&title))?,
                body_html: text,
                addressee: field("addressee", Line::parse(&addressee))?,
                goal,
                opens_on: match opens {
                    Some(d) => field("opens", PartialDate::parse(&d))?,
                    None => queries::today(),
                },
                closes_on: closes
                    .map(|d| field("closes", PartialDate::parse(&d)))
                    .transpose()?,
            };
            queries::create(db, &action)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "support action {} opened at /actions/{}",
                action.slug, action.slug
            );
        }
        ActionCommand::Close { slug } => {
            let slug = field("slug", Slug::parse(&slug))?;
            queries::close(db, &slug).await.map_err(|e| e.to_string())?;
            println!("support action {slug} is closed");
        }
        ActionCommand::List => {
            for a in queries::list(db).await.map_err(|e| e.to_string())? {
                let closes = a
                    .closes_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "no deadline".into());
                let state = if a.is_open { "open" } else { "closed" };
                println!(
                    "{}\t{}\t{}\t{}/{} confirmed\t{} to {}\t{}",
                    a.slug, a.person_slug, state, a.confirmed, a.goal, a.opens_on, closes, a.title
                );
            }
        }
    }
    Ok(())
}

/// The new account's password: asked twice on a terminal, else the first
/// line of standard input. Never echoed, never logged.
fn read_password() -> Result<String, String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ; nothing was created".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
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
