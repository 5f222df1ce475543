//! The connections: axum's router on hyper, with the time limits that
//! `axum::serve` leaves unset (issue 28, N9). Without them, a client that
//! reaches an instance directly (not through the proxy, which has its own)
//! holds a connection, and its memory, for as long as it likes by sending a
//! request's head or body a byte at a time, or by saying nothing at all.
//!
//! HTTP/1.1 only, as the proxy speaks to instances: a server that also
//! guesses HTTP/2 first reads the connection's first bytes, with no limit on
//! how long they take.
use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long a request's head may take to arrive, counted from the
/// connection's start or the end of the previous answer: the slowest head,
/// and also how long a kept-alive connection may sit idle.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request's body may go without a byte arriving (set on the
/// router: `tower_http`'s request body timeout).
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish (idle connections are closed at once).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
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
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(tcp), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
