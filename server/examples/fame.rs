//! The day-of-fame benchmark's load generator, run from its own process by
//! `end2end/bench/fame.sh`.
//!
//! `fame URL ACTION WATCHERS SECONDS SIGNATURES_PER_SECOND OUTBOX_DIR…`
//!
//! - WATCHERS people watch one support action: each holds one keep-alive
//!   connection and asks, once a second, for the action's page, its live
//!   count or its badge (a third each), as a browser asks (Accept,
//!   Accept-Encoding, Accept-Language). Open loop: each request is due at
//!   a fixed time, and its latency counts from then, so a slow answer that
//!   delays the next request is counted against the server, not hidden.
//! - Meanwhile SIGNATURES_PER_SECOND citizens sign (also open loop), and
//!   each confirmation mail that lands in an OUTBOX_DIR is confirmed, as
//!   its reader would, by following its link.
//! - How old the count shown is: each live count read is compared with the
//!   confirmations acknowledged before it was asked; its age is how long
//!   the oldest confirmation it misses had been acknowledged.
//!
//! Prints one line of `key=value` pairs for the script to tabulate.
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request not answered in this long is a time-out.
const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, action, watchers, seconds, rate, outboxes @ ..] = args.as_slice() else {
        eprintln!("usage: fame URL ACTION WATCHERS SECONDS SIGNATURES_PER_SECOND OUTBOX_DIR…");
        std::process::exit(2);
    };
    // reqwest is built with `rustls-no-provider`: this installs the ring provider.
    let _ = app::feeds::sync::client(app::feeds::sync::Reach::PrivateToo);
    let run = Run {
        url: url.trim_end_matches('/').to_owned(),
        action: action.clone(),
        started: Instant::now(),
        until: Duration::from_secs(seconds.parse().expect("SECONDS")),
        confirmed: Mutex::default(),
        tally: Mutex::default(),
    };
    let run = Arc::new(run);
    let watchers: usize = watchers.parse().expect("WATCHERS");
    let rate: u32 = rate.parse().expect("SIGNATURES_PER_SECOND");
    let outboxes: Vec<PathBuf> = outboxes.iter().map(PathBuf::from).collect();

    let mut tasks = Vec::new();
    for watcher in 0..watchers {
        let run = run.clone();
        // Spread over the second, so that the load is steady.
        let offset = Duration::from_secs(1).mul_f64(watcher as f64 / watchers.max(1) as f64);
        tasks.push(tokio::spawn(
            async move { watch(&run, watcher, offset).await },
        ));
    }
    let signing = tokio::spawn(sign(run.clone(), rate));
    let confirming = tokio::spawn(confirm(run.clone(), outboxes));
    for task in tasks {
        let _ = task.await;
    }
    let _ = signing.await;
    // Mails of the last signatures still arrive: give them a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    confirming.abort();
    report(&run, watchers);
}

struct Run {
    url: String,
    action: String,
    started: Instant,
    until: Duration,
    /// When each confirmation was acknowledged, in order.
    confirmed: Mutex<Vec<Duration>>,
    tally: Mutex<Tally>,
}

#[derive(Default)]
struct Tally {
    /// Latencies of readers and signers, in microseconds from when due.
    reads: Vec<u64>,
    signs: Vec<u64>,
    confirms: Vec<u64>,
    read_errors: u64,
    read_timeouts: u64,
    sign_errors: u64,
    confirm_errors: u64,
    /// Ages of the live counts read, in microseconds.
    count_ages: Vec<u64>,
}

#[derive(Clone, Copy)]
enum Target {
    Page,
    Count,
    Badge,
}

impl Run {
    fn path(&self, target: Target) -> String {
        match target {
            Target::Page => format!("/actions/{}", self.action),
            Target::Count => format!("/api/v1/actions/{}/count", self.action),
            Target::Badge => format!("/actions/{}/badge.svg", self.action),
        }
    }

    fn now(&self) -> Duration {
        self.started.elapsed()
    }
}

/// The host and port of an `http://host:port` address.
fn authority(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// A connection of watcher `watcher`'s own; with `FAME_SOURCES=N`, from one
/// of N loopback addresses (127.0.0.1 …), which a load balancer keeping a
/// client address on one instance then shares out.
async fn connect(
    run: &Run,
    watcher: usize,
) -> Option<hyper::client::conn::http1::SendRequest<http_body_util::Empty<bytes::Bytes>>> {
    let server: std::net::SocketAddr = tokio::net::lookup_host(authority(&run.url))
        .await
        .ok()?
        .next()?;
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    let sources = std::env::var("FAME_SOURCES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=250).contains(n));
    if let Some(sources) = sources {
        let last = (watcher % sources) as u8 + 1;
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, last], 0)))
            .ok()?;
    }
    let stream = socket.connect(server).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (sender, connection) = hyper::client::conn::http1::handshake(io).await.ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// One watcher: a connection of its own, a request a second.
async fn watch(run: &Run, watcher: usize, offset: Duration) {
    use http_body_util::BodyExt;
    let target = match watcher % 3 {
        0 => Target::Page,
        1 => Target::Count,
        _ => Target::Badge,
    };
    let path = run.path(target);
    let mut due = offset;
    let mut sender = None;
    while due < run.until {
        if let Some(wait) = due.checked_sub(run.now()) {
            tokio::time::sleep(wait).await;
        }
        if sender.is_none() {
            sender = connect(run, watcher).await;
        }
        let Some(connection) = sender.as_mut() else {
            run.tally.lock().unwrap().read_errors += 1;
            due += Duration::from_secs(1);
            continue;
        };
        let asked = run.now();
        let request = http::Request::get(&path)
            .header(http::header::HOST, authority(&run.url))
            .header(http::header::ACCEPT, accept(target))
            .header(http::header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .header(http::header::ACCEPT_LANGUAGE, "fr-BE,fr;q=0.9,en;q=0.8")
            .body(http_body_util::Empty::new())
            .expect("a valid request");
        let answer = tokio::time::timeout(TIMEOUT, async {
            let response = connection.send_request(request).await.ok()?;
            let status = response.status();
            let encoding = response
                .headers()
                .get(http::header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.into_body().collect().await.ok()?.to_bytes();
            Some((status, encoding, body))
        })
        .await;
        let answered = run.now();
        let latency = (answered.saturating_sub(due)).as_micros() as u64;
        let mut tally = run.tally.lock().unwrap();
        match answer {
            Ok(Some((status, encoding, body))) if status == http::StatusCode::OK => {
                tally.reads.push(latency);
                if let Target::Count = target {
                    drop(tally);
                    let age = count_age(run, asked, answered, encoding.as_deref(), &body);
                    run.tally.lock().unwrap().count_ages.push(age);
                }
            }
            Ok(_) => {
                tally.read_errors += 1;
                sender = None;
            }
            Err(_) => {
                tally.read_timeouts += 1;
                sender = None;
            }
        }
        due += Duration::from_secs(1);
    }
}

fn accept(target: Target) -> &'static str {
    match target {
        Target::Page => "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        Target::Count => "application/json",
        Target::Badge => "image/avif,image/webp,image/svg+xml,image/*,*/*;q=0.8",
    }
}

/// How old the count read is, in microseconds: since the first
/// confirmation acknowledged before it was asked that it does not count.
fn count_age(
    run: &Run,
    asked: Duration,
    answered: Duration,
    encoding: Option<&str>,
    body: &[u8],
) -> u64 {
    let body = match encoding {
        Some("br") => {
            let mut out = Vec::new();
            let mut reader = brotli::Decompressor::new(body, 4096);
            std::io::Read::read_to_end(&mut reader, &mut out).ok();
            out
        }
        Some("gzip") => {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out).ok();
            out
        }
        _ => body.to_vec(),
    };
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let counted = value.get("confirmed").and_then(|c| c.as_u64()).unwrap_or(0) as usize;
    let confirmed = run.confirmed.lock().unwrap();
    match confirmed.get(counted) {
        Some(missed) if *missed < asked => answered.saturating_sub(*missed).as_micros() as u64,
        _ => 0,
    }
}

/// Citizens sign, `rate` a second, each due at its time.
async fn sign(run: Arc<Run>, rate: u32) {
    if rate == 0 {
        return;
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(TIMEOUT)
        .build()
        .expect("a client");
    let every = Duration::from_secs(1) / rate;
    let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
    let mut due = Duration::ZERO;
    let mut n = 0u64;
    let pid = std::process::id();
    while due < run.until {
        if let Some(wait) = due.checked_sub(run.now()) {
            tokio::time::sleep(wait).await;
        }
        n += 1;
        let permit = in_flight
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let (run, client) = (run.clone(), client.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let body = format!(
                "support_action={}&lang=fr&full_name=Fame+Signer+{n}&email=fame-{pid}-{n}@example.org\
                 &place=1000&country=BE&consent=on&website=",
                run.action
            );
            let answer = client
                .post(format!("{}/api/sign", run.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .header("origin", run.url.as_str())
                .body(body)
                .send()
                .await;
            let ok = match answer {
                Ok(response) => {
                    response.status().is_success()
                        && response.text().await.is_ok_and(|t| t == "\"Accepted\"")
                }
                Err(_) => false,
            };
            let latency = run.now().saturating_sub(due).as_micros() as u64;
            let mut tally = run.tally.lock().unwrap();
            if ok {
                tally.signs.push(latency);
            } else {
                tally.sign_errors += 1;
            }
        });
        due += every;
    }
    // The last ones in flight.
    let _ = in_flight.acquire_many(512).await;
}

/// Follows the link of each confirmation mail that lands in an outbox.
async fn confirm(run: Arc<Run>, outboxes: Vec<PathBuf>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(TIMEOUT)
        .build()
        .expect("a client");
    let seen: Arc<Mutex<HashSet<PathBuf>>> = Arc::default();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
    let pending = Arc::new(AtomicU64::new(0));
    loop {
        for outbox in &outboxes {
            let Ok(entries) = std::fs::read_dir(outbox) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "eml")
                    || seen.lock().unwrap().contains(&path)
                {
                    continue;
                }
                // None while the mail is still being written: read at the next scan.
                let Some(token) = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|mail| confirm_token(&mail))
                else {
                    continue;
                };
                seen.lock().unwrap().insert(path.clone());
                // Read, as its reader would: out of the way of the next scan.
                let _ = std::fs::remove_file(&path);
                let found = run.now();
                let permit = in_flight
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("never closed");
                let (run, client, pending) = (run.clone(), client.clone(), pending.clone());
                pending.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _permit = permit;
                    let answer = client
                        .post(format!("{}/api/confirm-signature", run.url))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("origin", run.url.as_str())
                        .body(format!("token={token}&lang=fr"))
                        .send()
                        .await;
                    let ok = answer.is_ok_and(|r| r.status().is_success());
                    let acknowledged = run.now();
                    if ok {
                        run.confirmed.lock().unwrap().push(acknowledged);
                    }
                    let mut tally = run.tally.lock().unwrap();
                    if ok {
                        tally
                            .confirms
                            .push(acknowledged.saturating_sub(found).as_micros() as u64);
                    } else {
                        tally.confirm_errors += 1;
                    }
                    pending.fetch_sub(1, Ordering::Relaxed);
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The token of the confirmation link in a mail as written to the outbox
/// (quoted-printable or not).
fn confirm_token(mail: &str) -> Option<String> {
    let text = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = text.find("/signatures/confirm?token=")? + "/signatures/confirm?token=".len();
    let token: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '%'))
        .collect();
    // 32 random bytes in base64url: a shorter one is a mail still being
    // written (a cut mid-token, or before a soft line break), read later.
    (token.len() == 43).then_some(token)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

fn report(run: &Run, watchers: usize) {
    let mut guard = run.tally.lock().unwrap();
    let tally = &mut *guard;
    for v in [
        &mut tally.reads,
        &mut tally.signs,
        &mut tally.confirms,
        &mut tally.count_ages,
    ] {
        v.sort_unstable();
    }
    let seconds = run.until.as_secs_f64();
    let line = |name: &str, v: &[u64]| {
        format!(
            "{name}_per_s={:.0} {name}_p50_ms={:.1} {name}_p99_ms={:.1} {name}_max_ms={:.1}",
            v.len() as f64 / seconds,
            percentile(v, 0.5),
            percentile(v, 0.99),
            percentile(v, 1.0)
        )
    };
    println!(
        "watchers={watchers} {} read_errors={} read_timeouts={} {} sign_errors={} {} confirm_errors={} count_age_p99_ms={:.1} count_age_max_ms={:.1}",
        line("reads", &tally.reads),
        tally.read_errors,
        tally.read_timeouts,
        line("signs", &tally.signs),
        tally.sign_errors,
        line("confirms", &tally.confirms),
        tally.confirm_errors,
        percentile(&tally.count_ages, 0.99),
        percentile(&tally.count_ages, 1.0),
    );
}
