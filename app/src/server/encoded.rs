//! A body made once in each encoding worth sending — brotli, gzip, and as it
//! is — and the one a request accepts. Compressing a page costs more than
//! rendering it from the cache (a browser's reading of a page was 5–10
//! times slower compressed on the fly, issue 27): a kept answer is
//! compressed once when it is stored, never per reader.
use axum::body::Bytes;
use http::{header, HeaderMap};
use std::io::Write;

/// Smaller bodies are sent as they are: the bytes saved would not pay for
/// the work (a live count, a badge).
pub const MIN_BYTES: usize = 1024;

/// Brotli's quality and gzip's level: near the best ratio of each, at a
/// cost of milliseconds for a page, paid once per rendering.
const BROTLI_QUALITY: i32 = 9;
const GZIP_LEVEL: u32 = 9;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// As `Content-Encoding` names it.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Identity => "identity",
        }
    }
}

/// One body in every encoding kept.
#[derive(Debug, Clone)]
pub struct Encoded {
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

impl Encoded {
    /// `body`, compressed too when it is `compressible` and large enough;
    /// an encoding that would not be smaller is not kept.
    pub fn new(body: Bytes, compressible: bool) -> Self {
        if !compressible || body.len() < MIN_BYTES {
            return Encoded {
                identity: body,
                brotli: None,
                gzip: None,
            };
        }
        let smaller = |compressed: Option<Vec<u8>>| {
            compressed.filter(|c| c.len() < body.len()).map(Bytes::from)
        };
        Encoded {
            brotli: smaller(brotli(&body)),
            gzip: smaller(gzip(&body)),
            identity: body,
        }
    }

    /// Bytes held, every encoding counted.
    pub fn weight(&self) -> u64 {
        [
            Some(&self.identity),
            self.brotli.as_ref(),
            self.gzip.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|b| b.len() as u64)
        .sum()
    }

    /// The body for a request: brotli when it accepts it and one is kept,
    /// else gzip, else as it is. A clone of `Bytes`: nothing is copied.
    pub fn for_request(&self, request: &HeaderMap) -> (Encoding, Bytes) {
        let accepted = request
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        if let Some(body) = self.brotli.as_ref().filter(|_| accepts(&accepted, "br")) {
            return (Encoding::Brotli, body.clone());
        }
        if let Some(body) = self.gzip.as_ref().filter(|_| accepts(&accepted, "gzip")) {
            return (Encoding::Gzip, body.clone());
        }
        (Encoding::Identity, self.identity.clone())
    }
}

/// Whether a response of this type gains from compression: text, JSON, XML,
/// SVG, JavaScript, CSV.
pub fn compressible(content_type: Option<&str>) -> bool {
    let Some(mime) = content_type.map(|t| t.split(';').next().unwrap_or_default().trim()) else {
        return false;
    };
    mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
        || matches!(
            mime,
            "application/json" | "application/xml" | "application/javascript" | "image/svg+xml"
        )
}

/// Whether an `Accept-Encoding` value accepts `coding`: named (or `*`)
/// with a weight above zero.
pub fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut any = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let weight = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            return weight > 0.0;
        }
        if name == "*" {
            any = Some(weight > 0.0);
        }
    }
    any.unwrap_or(false)
}

fn brotli(body: &[u8]) -> Option<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        // A window as large as the body, no larger: less memory to set up.
        lgwin: (usize::BITS - body.len().leading_zeros()).clamp(16, 22) as i32,
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 4);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
    Some(out)
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(GZIP_LEVEL),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn request(accept_encoding: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, accept_encoding.parse().unwrap());
        headers
    }

    #[test]
    fn a_browser_gets_brotli_others_what_they_accept() {
        let page = Bytes::from("<p>Libérée le 10 février 2021.</p>\n".repeat(200));
        let encoded = Encoded::new(page.clone(), true);
        let (encoding, body) = encoded.for_request(&request("gzip, deflate, br, zstd"));
        assert_eq!(encoding, Encoding::Brotli);
        let mut out = Vec::new();
        brotli::Decompressor::new(&body[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, page);
        let (encoding, body) = encoded.for_request(&request("gzip;q=1.0, br;q=0"));
        assert_eq!(encoding, Encoding::Gzip);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, page);
        for identity in ["", "zstd", "deflate", "br;q=0, gzip;q=0", "identity"] {
            assert_eq!(
                encoded.for_request(&request(identity)),
                (Encoding::Identity, page.clone()),
                "{identity:?}"
            );
        }
        assert_eq!(encoded.for_request(&HeaderMap::new()).0, Encoding::Identity);
        assert_eq!(encoded.for_request(&request("*")).0, Encoding::Brotli);
        assert!(encoded.weight() < 2 * page.len() as u64);
    }

    #[test]
    fn small_or_binary_bodies_are_kept_as_they_are() {
        let small = Bytes::from_static(b"{\"confirmed\":12}");
        let encoded = Encoded::new(small.clone(), true);
        assert_eq!(
            encoded.for_request(&request("br, gzip")),
            (Encoding::Identity, small)
        );
        let large = Bytes::from(vec![b'x'; 4 * MIN_BYTES]);
        assert_eq!(
            Encoded::new(large, false).for_request(&request("br")).0,
            Encoding::Identity
        );
        assert!(compressible(Some("text/html; charset=utf-8")));
        assert!(compressible(Some("application/atom+xml")));
        assert!(compressible(Some("application/feed+json")));
        assert!(compressible(Some("image/svg+xml")));
        assert!(!compressible(Some("image/png")));
        assert!(!compressible(None));
    }
}
