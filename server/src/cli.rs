//! The command line: one function per subcommand, each opening the database
//! it needs and going through the same functions as the staff pages (and
//! the same audit log, as the system actor `cli`). `main.rs` only parses
//! the arguments and prints the error.
use crate::configuration::Settings;
use crate::startup::{open_database, Application};
use app::server::audit::Actor;
use app::server::clock;
use app::server::db::Db;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

/// Lumières: the case tracker of the Villes Lumières network.
///
/// Configuration comes from the environment: DATABASE_URL (default
/// sqlite://data/lumieres.db), DATABASE_MAX_CONNECTIONS (10), LEPTOS_SITE_ADDR
/// (127.0.0.1:3000), LEPTOS_SITE_ROOT (target/site), OUTBOX_DIR (data/outbox),
/// SMTP_URL (none: mail goes to files), MAIL_FROM, PUBLIC_URL, SIGNING_RATE_LIMIT_PER_MINUTE
/// (10), CLIENT_IP_HEADER and TRUSTED_PROXIES (none), RUST_LOG (info). The
/// README explains each.
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Open, close and list support actions (audited, as the actor `cli`).
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
        /// Languages written before a case it adopted is published, the
        /// language of its name first: `--languages fr,nl`.
        #[arg(long, value_delimiter = ',')]
        languages: Vec<String>,
        /// Languages it also publishes in, when they are written: `--optional-languages en`.
        #[arg(long, value_delimiter = ',')]
        optional_languages: Vec<String>,
    },
    /// Partner feeds this site follows.
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Fetch every due partner feed once, store what is new, and exit.
    SyncFeeds,
    /// Reports on signing abuse.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Copy the whole database into FILE while the site serves: SQLite with
    /// VACUUM INTO, PostgreSQL with pg_dump (custom format). Signers' names,
    /// addresses and places, and mail waiting, are sealed in it and open only
    /// with the site's data key: keep the key apart from the backups.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        output: std::path::PathBuf,
    },
    /// Put a backup into the empty database DATABASE_URL names (a new SQLite
    /// file, or a database made with createdb), then bring it up to date.
    /// Start the restored site with the data key of the one backed up.
    Restore {
        /// A file `server backup` wrote, from the same kind of database.
        input: std::path::PathBuf,
    },
    /// Seal anew with DATA_KEY every value sealed with DATA_KEY_PREVIOUS, a
    /// few hundred rows at a time, while the site serves. First give every
    /// instance both keys (DATA_KEY the new one) and restart them; when this
    /// says nothing is left under the previous key, remove DATA_KEY_PREVIOUS.
    RotateDataKey,
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
pub enum ReportCommand {
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
pub enum FeedCommand {
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
        /// The language of entries that do not say theirs (en, fr, nl).
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// List followed feeds with their state.
    List,
    /// Stop following a feed (by its id from `feed list`); what it brought stays.
    Remove { id: i64 },
}

#[derive(Subcommand)]
pub enum ActionCommand {
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

/// Runs one command. An error is a sentence for the operator.
pub async fn run(command: Command) -> Result<(), String> {
    if let (Command::Restore { .. }, Some(key)) =
        (&command, crate::configuration::data_key_would_be_made())
    {
        return Err(format!(
            "the restored site needs the data key of the site backed up: set DATA_KEY or \
             DATA_KEY_FILE, or copy its key file to {}, then restore",
            key.display()
        ));
    }
    let mut settings = Settings::from_env().map_err(|e| e.to_string())?;
    // A server waits for its database; an operator's one-off command says
    // at once that it cannot reach it, unless told to wait.
    if !matches!(command, Command::Serve) && settings.database_wait.is_none() {
        settings.database_wait = Some(std::time::Duration::ZERO);
    }
    match command {
        Command::Serve => serve(&settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::SeedDemo { if_empty } => with_db(&settings, |db| seed_demo(db, if_empty)).await,
        Command::CreateUser {
            email,
            role,
            municipality,
            name,
        } => create_user(&settings, email, role, municipality, name).await,
        Command::AddMunicipality {
            slug,
            name,
            country,
            joined,
            languages,
            optional_languages,
        } => {
            let municipality =
                parse_municipality(slug, name, country, joined, languages, optional_languages)?;
            add_municipality(&settings, municipality).await
        }
        Command::Feed(command) => with_db(&settings, |db| feed(db, command)).await,
        Command::SyncFeeds => {
            let reach = settings.feed_reach();
            with_db(&settings, |db| sync_feeds(db, reach)).await
        }
        Command::Report(ReportCommand::Spikes {
            hours,
            minutes,
            per_address,
            per_domain,
            domain_percent,
        }) => {
            if hours <= 0 || minutes <= 0 {
                return Err("--hours and --minutes must be positive".into());
            }
            let rules = app::signing::spikes::SpikeRules {
                since: clock::now() - hours * 3600,
                bucket_seconds: minutes * 60,
                min_per_address: per_address,
                min_per_domain: per_domain,
                min_domain_share: f64::from(domain_percent) / 100.0,
            };
            with_db(&settings, |db| report_spikes(db, rules, hours, minutes)).await
        }
        Command::ExportSignatures { action, output } => {
            let slug = app::domain::Slug::parse(&action).map_err(|e| format!("ACTION: {e}"))?;
            with_db(&settings, |db| export_signatures(db, slug, output)).await
        }
        Command::Action(command) => with_db(&settings, |db| action(db, command)).await,
        Command::Backup { output } => {
            let url = settings.database_url.expose_secret().to_owned();
            with_db(&settings, |db| backup(db, url, output)).await
        }
        Command::Restore { input } => restore(&settings, &input).await,
        Command::RotateDataKey => with_db(&settings, rotate_data_key).await,
    }
}

async fn rotate_data_key(db: Db) -> Result<(), String> {
    use app::server::data_key;
    let ring = data_key::installed();
    let current = ring.current().id();
    let Some(previous) = ring.previous() else {
        return Err(format!(
            "give the key being replaced as DATA_KEY_PREVIOUS (or DATA_KEY_PREVIOUS_FILE), and the \
             new one as DATA_KEY ({current} now), to this command and to every instance"
        ));
    };
    let started = std::time::Instant::now();
    let done = data_key::reseal(&db, ring)
        .await
        .map_err(|e| e.to_string())?;
    let left = data_key::sealed_with_other_keys(&db, ring)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "sealed anew with data key {current}: {} values in {:.1} s",
        done.values,
        started.elapsed().as_secs_f64()
    );
    if done.unopened > 0 {
        return Err(format!(
            "{} values open with neither {current} nor {}: damaged, or sealed with a third key",
            done.unopened,
            previous.id()
        ));
    }
    if left > 0 {
        return Err(format!(
            "{left} values are still sealed with {}: does every instance run with DATA_KEY {current}? \
             Then run this again",
            previous.id()
        ));
    }
    println!(
        "nothing is sealed with {} any more: remove DATA_KEY_PREVIOUS from every instance",
        previous.id()
    );
    Ok(())
}

async fn backup(db: Db, url: String, output: std::path::PathBuf) -> Result<(), String> {
    let started = std::time::Instant::now();
    let written = app::server::backup::backup(&db, &url, &output).await?;
    println!(
        "backup written: {} ({} bytes, {} database, {:.1} s). Signers' names, addresses and \
         places are sealed in it: keep the data key apart from it, and both safe.",
        written.path.display(),
        written.bytes,
        db.backend(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn restore(settings: &Settings, input: &std::path::Path) -> Result<(), String> {
    app::server::backup::restore(settings.database_url.expose_secret(), input).await?;
    // Brought up to date as at any start, then closed.
    with_db(settings, |db| async move {
        println!(
            "restored into the {} database; start the site with the data key of the one backed up",
            db.backend()
        );
        Ok(())
    })
    .await
}

/// Opens (and migrates) the database, runs `work` on it, and closes it.
async fn with_db<F, Fut>(settings: &Settings, work: F) -> Result<(), String>
where
    F: FnOnce(Db) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let db = open_database(settings).await.map_err(|e| e.to_string())?;
    let result = work(db.clone()).await;
    db.close().await;
    result
}

async fn serve(settings: &Settings) -> Result<(), String> {
    let app = Application::build(settings)
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

async fn migrate(settings: &Settings) -> Result<(), String> {
    with_db(settings, |db| async move {
        println!("database is up to date ({})", db.backend());
        Ok(())
    })
    .await
}

async fn seed_demo(db: Db, if_empty: bool) -> Result<(), String> {
    use crate::demo::{load, Outcome};
    let outcome = load(&db, if_empty)
        .await
        .map_err(|e| format!("cannot load the demo data: {e}"))?;
    match outcome {
        Outcome::Loaded {
            persons,
            events,
            actions,
        } => println!(
            "demo data loaded: the City of Brussels, {persons} persons, {events} status events, \
             {actions} support actions"
        ),
        Outcome::AlreadyPresent => println!("demo data already present; nothing changed"),
        Outcome::NotEmpty => println!("the database already holds persons; demo data not loaded"),
    }
    Ok(())
}

async fn create_user(
    settings: &Settings,
    email: String,
    role: String,
    municipality: Option<String>,
    name: Option<String>,
) -> Result<(), String> {
    use app::backoffice::accounts::{check_password_length, create_user, NewUser};
    use app::domain::{Email, PersonName, Role, Slug};
    let email = Email::parse(&email).map_err(|e| format!("--email: {e}"))?;
    let role = Role::parse(&role).map_err(|e| format!("--role: {e}"))?;
    let municipality = municipality
        .map(|m| Slug::parse(&m).map_err(|e| format!("--municipality: {e}")))
        .transpose()?;
    let name = name.unwrap_or_else(|| {
        let local = email.as_str().split('@').next().unwrap_or_default();
        local.to_owned()
    });
    let name = PersonName::parse(&name).map_err(|e| format!("--name: {e}"))?;
    // Asked before the database is opened: a typo costs nothing.
    let password = read_password()?;
    check_password_length(&password).map_err(|e| e.to_string())?;
    let user = NewUser {
        email,
        name,
        role,
        municipality,
    };
    with_db(settings, |db| async move {
        create_user(&db, Actor::Cli, &user, &password, clock::now())
            .await
            .map_err(|e| e.to_string())?;
        match &user.municipality {
            Some(m) => println!("{} account {} created for {m}", role.slug(), user.email),
            None => println!("{} account {} created", role.slug(), user.email),
        }
        Ok(())
    })
    .await
}

fn parse_municipality(
    slug: String,
    name: String,
    country: String,
    joined: Option<String>,
    languages: Vec<String>,
    optional_languages: Vec<String>,
) -> Result<app::network::municipalities::NewMunicipality, String> {
    use app::domain::{CountryCode, Line, PartialDate, Slug};
    let parse_languages = |option: &str, codes: Vec<String>| {
        codes
            .iter()
            .map(|code| {
                app::i18n::Locale::from_code(code.trim()).ok_or_else(|| {
                    format!("{option}: {code:?} is not a language of the network (en, fr, nl)")
                })
            })
            .collect::<Result<Vec<_>, String>>()
    };
    Ok(app::network::municipalities::NewMunicipality {
        slug: Slug::parse(&slug).map_err(|e| format!("--slug: {e}"))?,
        name: Line::parse(&name).map_err(|e| format!("--name: {e}"))?,
        country: CountryCode::parse(&country.to_uppercase())
            .map_err(|e| format!("--country: {e}"))?,
        joined_on: joined
            .map(|j| PartialDate::parse(&j).map_err(|e| format!("--joined: {e}")))
            .transpose()?,
        required_languages: parse_languages("--languages", languages)?,
        optional_languages: parse_languages("--optional-languages", optional_languages)?,
    })
}

async fn add_municipality(
    settings: &Settings,
    municipality: app::network::municipalities::NewMunicipality,
) -> Result<(), String> {
    use app::network::municipalities::add;
    with_db(settings, |db| async move {
        add(&db, Actor::Cli, &municipality)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "municipality {} ({}) added",
            municipality.slug, municipality.name
        );
        Ok(())
    })
    .await
}

async fn feed(db: Db, command: FeedCommand) -> Result<(), String> {
    use app::feeds::subscriptions::on_server::{add, list, remove, NewFeed};
    match command {
        FeedCommand::Add {
            url,
            partner,
            person,
            trusted,
            language,
        } => {
            let partner =
                app::domain::Line::parse(&partner).map_err(|e| format!("--partner: {e}"))?;
            let default_language =
                app::i18n::Locale::from_code(language.trim()).ok_or_else(|| {
                    format!(
                        "--language: {language:?} is not a language of the network (en, fr, nl)"
                    )
                })?;
            let feed = NewFeed {
                url,
                partner: partner.to_string(),
                default_person: person,
                trusted,
                default_language,
            };
            let id = add(&db, Actor::Cli, &feed, clock::now())
                .await
                .map_err(|e| e.to_string())?;
            println!("feed {id} added: {}", feed.url.trim());
        }
        FeedCommand::List => {
            for f in list(&db).await.map_err(|e| e.to_string())? {
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
        }
        FeedCommand::Remove { id } => {
            remove(&db, Actor::Cli, id)
                .await
                .map_err(|e| e.to_string())?;
            println!("feed {id} no longer followed");
        }
    }
    Ok(())
}

async fn sync_feeds(db: Db, reach: app::feeds::sync::Reach) -> Result<(), String> {
    use app::feeds::sync::{client, run_pass};
    let r = run_pass(&db, &client(reach), clock::now())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{} feeds fetched: {} new entries ({} published), {} not modified, {} failed",
        r.feeds, r.new_entries, r.published, r.not_modified, r.failed
    );
    Ok(())
}

async fn report_spikes(
    db: Db,
    rules: app::signing::spikes::SpikeRules,
    hours: i64,
    minutes: i64,
) -> Result<(), String> {
    use app::signing::spikes::{spikes, SpikeSource};
    let found = spikes(&db, rules).await.map_err(|e| e.to_string())?;
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

async fn export_signatures(
    db: Db,
    action: app::domain::Slug,
    output: Option<std::path::PathBuf>,
) -> Result<(), String> {
    use app::signing::export::{confirmed_for_delivery, signatures_csv};
    let rows = confirmed_for_delivery(&db, Actor::Cli, &action)
        .await
        .map_err(|e| e.to_string())?;
    let csv = signatures_csv(&rows).map_err(|e| e.to_string())?;
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

async fn action(db: Db, command: ActionCommand) -> Result<(), String> {
    use app::campaigns::actions::on_server::{close, create, list, NewSupportAction};
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
                    None => clock::today(),
                },
                closes_on: closes
                    .map(|d| field("closes", PartialDate::parse(&d)))
                    .transpose()?,
            };
            create(&db, Actor::Cli, &action)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "support action {} opened at /actions/{}",
                action.slug, action.slug
            );
        }
        ActionCommand::Close { slug } => {
            let slug = field("slug", Slug::parse(&slug))?;
            close(&db, Actor::Cli, &slug)
                .await
                .map_err(|e| e.to_string())?;
            println!("support action {slug} is closed");
        }
        ActionCommand::List => {
            for a in list(&db).await.map_err(|e| e.to_string())? {
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

/// Parses the arguments (clap answers `--help` itself).
pub fn parse() -> Cli {
    Cli::parse()
}
