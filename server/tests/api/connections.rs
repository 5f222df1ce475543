//! Connections that take too long: a client that reaches an instance
//! directly, without the proxy's own limits, holds nothing for ever
//! (issue 28, N9).
use crate::helpers::{count, Backend, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; `None` if it is still open
/// long after every limit (`server::serve`'s are 10 s, and 30 s for a whole
/// body).
async fn closed_by_server(mut stream: impl AsyncReadExt + Unpin) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(40),
        stream.read_to_end(&mut answer),
    )
    .await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_slow_or_silent_client_is_cut_off() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let connect = || TcpStream::connect(address.clone());

    // A request's head, a header at a time and never finished.
    let mut head = connect().await.unwrap();
    head.write_all(b"GET / HTTP/1.1\r\nHost: lumieres\r\n")
        .await
        .unwrap();
    // A body announced and never sent.
    let mut body = connect().await.unwrap();
    body.write_all(
        b"POST /api/sign HTTP/1.1\r\nHost: lumieres\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nfull_name=A",
    )
    .await
    .unwrap();
    // A body that trickles in, a byte every 5 s: never idle for 10 s, but
    // never done either.
    let mut drip = connect().await.unwrap();
    drip.write_all(
        b"POST /api/sign HTTP/1.1\r\nHost: lumieres\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n",
    )
    .await
    .unwrap();
    let (drip_reader, mut drip_writer) = drip.into_split();
    let dripping = tokio::spawn(async move {
        for _ in 0..12 {
            if drip_writer.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    // Nothing at all, and a connection kept alive after its answer.
    let silent = connect().await.unwrap();
    let mut kept = connect().await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: lumieres\r\n\r\n")
        .await
        .unwrap();

    let (head, body, silent, kept, drip) = tokio::join!(
        closed_by_server(head),
        closed_by_server(body),
        closed_by_server(silent),
        closed_by_server(kept),
        closed_by_server(drip_reader),
    );
    dripping.abort();
    let drip = drip.expect("a body trickling in holds the connection");
    assert!(
        !drip.starts_with("HTTP/1.1 2"),
        "no answer as if it had come: {drip}"
    );
    assert!(head.is_some(), "an unfinished head holds the connection");
    let body = body.expect("a body that never comes holds the connection");
    assert!(
        !body.starts_with("HTTP/1.1 2"),
        "no answer as if it had come: {body}"
    );
    assert!(silent.is_some(), "a silent connection is held");
    let kept = kept.expect("an idle kept-alive connection is held");
    assert!(kept.starts_with("HTTP/1.1 200"), "answered first: {kept}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM signatures").await,
        0,
        "nothing stored"
    );
    app.teardown().await;
}
