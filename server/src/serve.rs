//! The connections: axum's router on hyper, with the time limits that
//! `axum::serve` leaves unset (issue 28, N9). Without them, a client that
//! reaches an instance directly (not through the proxy, which has its own)
//! holds a connection, and its memory, for as long as it likes by sending a
//! request's head a byte at a time, or by saying nothing at all.
//!
//! Watched per connection, not per request: hyper's own head timeout arms a
//! timer for every request, and with ten thousand watchers of one action
//! that timer traffic alone made reads six times slower (BENCHMARKS.md,
//! issue 27). Here each connection notes when it last moved — a request
//! head arrived, an answer ended, bytes of an answer were written (a large
//! one to a slow reader takes long after hyper has its last chunk) — and how
//! many answers are under way; a check every few seconds closes a connection
//! that has none under way and has not moved for `IDLE_LIMIT`: a silent
//! client, an unfinished head (reading its bytes is no move), a kept-alive
//! connection nobody uses. A body that stops coming is cut by the router's
//! request body timeout (`BODY_IDLE_TIMEOUT`), one that trickles in by its
//! total limit (`BODY_TOTAL_LIMIT`).
//!
//! HTTP/1.1 only, as the proxy speaks to instances: a server that also
//! guesses HTTP/2 first reads the connection's first bytes, with no limit on
//! how long they take.
use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tower::ServiceExt;

/// How long a connection may go without a new request head while nothing
/// is being answered on it: from its start, or from the end of its last answer.
pub const IDLE_LIMIT: Duration = Duration::from_secs(10);

/// How often each connection is looked at: a connection lives at most this
/// much past `IDLE_LIMIT`.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// How long a request's body may go without a byte arriving (set on the
/// router: `tower_http`'s request body timeout).
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request's whole body may take, however it trickles in: a
/// byte every few seconds never trips `BODY_IDLE_TIMEOUT`, and would hold
/// the connection, and the handler reading it, for as long as the client
/// likes. Every body here is a form of a few kilobytes, but one.
pub const BODY_TOTAL_LIMIT: Duration = Duration::from_secs(30);

/// The one large body: a portrait's upload (up to 12 MB), which a staff
/// member's slow uplink may take minutes to send.
pub const UPLOAD_TOTAL_LIMIT: Duration = Duration::from_secs(300);

/// The most a request body may hold: a form of text, in three languages at
/// most. Past it the answer is 413 and the rest is not read.
pub const BODY_SIZE_LIMIT: usize = 1024 * 1024;

/// The most a portrait's upload may hold: the file, the texts, and the
/// multipart framing (the upload itself refuses a file past 12 MB, and
/// drains up to 48 MB of one so that the browser reads why).
pub const UPLOAD_SIZE_LIMIT: usize = 48 * 1024 * 1024 + 64 * 1024;

/// Whether `request` is a portrait's upload.
fn is_upload(request: &axum::extract::Request) -> bool {
    use leptos::server_fn::ServerFn;
    request.method() == http::Method::POST
        && request.uri().path() == <app::cases::portraits::UploadPortrait as ServerFn>::PATH
}

/// The router's middleware: a body larger than its limit is refused (413)
/// before it is read when it says its length, and cut where it passes the
/// limit when it does not; a portrait's upload that is not
/// `multipart/form-data` with its boundary is refused (415) before anything
/// tries to read it as one.
pub async fn limit_body_size(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http::{header, StatusCode};
    if matches!(*request.method(), http::Method::GET | http::Method::HEAD) {
        return next.run(request).await;
    }
    let upload = is_upload(&request);
    if upload {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.to_ascii_lowercase().starts_with("multipart/form-data") && v.contains("boundary=")
            });
        if !multipart {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "A portrait is sent as multipart/form-data, as its form sends it.",
            )
                .into_response();
        }
    }
    let limit = if upload {
        UPLOAD_SIZE_LIMIT
    } else {
        BODY_SIZE_LIMIT
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// The router's middleware: a request's body is read to its end within
/// `BODY_TOTAL_LIMIT` (a portrait's, `UPLOAD_TOTAL_LIMIT`) of its head arriving, or fails (the answer is an
/// error, and the connection closes). Its timer is made when a handler
/// first reads the body: a GET (ten thousand watchers polling a count)
/// costs none.
pub async fn limit_body_time(request: axum::extract::Request) -> axum::extract::Request {
    if matches!(*request.method(), http::Method::GET | http::Method::HEAD) {
        return request;
    }
    let allowed = if is_upload(&request) {
        UPLOAD_TOTAL_LIMIT
    } else {
        BODY_TOTAL_LIMIT
    };
    let deadline = Instant::now() + allowed;
    request.map(|body| {
        Body::new(Deadlined {
            body,
            deadline,
            timer: None,
        })
    })
}

/// A request body with a deadline for its end.
struct Deadlined {
    body: Body,
    deadline: Instant,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for Deadlined {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let deadline = this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(
                "the request's body took longer than its limit",
            ))));
        }
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// What a connection's watch reads: when it last made progress (a request
/// head arrived, an answer ended), in milliseconds since it opened, and how
/// many answers are under way.
struct Progress {
    opened: Instant,
    last_ms: AtomicU64,
    answering: AtomicUsize,
}

impl Progress {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            answering: AtomicUsize::new(0),
        })
    }

    fn moved(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle(&self) -> bool {
        let since = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.answering.load(Ordering::Relaxed) == 0
            && self.opened.elapsed().saturating_sub(since) >= IDLE_LIMIT
    }
}

/// An answer under way until its body is sent or dropped.
struct Answering {
    progress: Arc<Progress>,
}

impl Answering {
    fn start(progress: &Arc<Progress>) -> Self {
        progress.moved();
        progress.answering.fetch_add(1, Ordering::Relaxed);
        Self {
            progress: progress.clone(),
        }
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.progress.moved();
        self.progress.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its answer counted while it is sent.
struct Counted {
    body: Body,
    _answering: Answering,
}

impl http_body::Body for Counted {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, noting each write of an answer's bytes.
struct Written {
    tcp: tokio::net::TcpStream,
    progress: Arc<Progress>,
}

impl tokio::io::AsyncRead for Written {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Written {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.tcp).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.progress.moved();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            self.progress.moved();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish (idle connections are closed at once).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let builder = http1::Builder::new();
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors or a connection reset before it was
                    // taken: the next one may do; a tight loop would not.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Without TCP_NODELAY small responses wait for delayed ACKs (~40 ms each).
        let _ = tcp.set_nodelay(true);
        let router = router.clone();
        let progress = Progress::new();
        let service = {
            let progress = progress.clone();
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                let answering = Answering::start(&progress);
                request.extensions_mut().insert(ConnectInfo(peer));
                let answer = router.clone().oneshot(request.map(Body::new));
                async move {
                    let response = answer.await?;
                    Ok::<_, std::convert::Infallible>(response.map(|body| {
                        Body::new(Counted {
                            body,
                            _answering: answering,
                        })
                    }))
                }
            })
        };
        let io = TokioIo::new(Written {
            tcp,
            progress: progress.clone(),
        });
        let connection = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            let watch = async {
                loop {
                    tokio::time::sleep(CHECK_EVERY).await;
                    if progress.idle() {
                        return;
                    }
                }
            };
            tokio::select! {
                ended = connection => if let Err(error) = ended {
                    tracing::debug!(%error, "connection ended");
                },
                // Nothing under way: closing loses nothing anyone was told.
                () = watch => tracing::debug!(%peer, "idle connection closed"),
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
