//! A person's portrait as the public sees it (issue 29): only while the
//! person is public and their consent on record covers "portrait"; served
//! from `/portraits/{hash}.jpg`, addresses that never change (the name is
//! the hash of the bytes), as a JPEG we encoded ourselves; kept by the
//! browsers that fetched them, never by a shared cache.
//! (Staff see every portrait at their own address: `cases::portraits`.)
use crate::i18n::{LangText, Locale};
use serde::{Deserialize, Serialize};

/// Every portrait is cut to 4:5 (width:height) around its centre: cards and
/// pages keep its place before it arrives.
pub const RATIO: (u32, u32) = (4, 5);

/// Where portraits are served from.
pub const PORTRAITS_PATH: &str = "/portraits";

/// One width of a portrait.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortraitFile {
    /// `/portraits/{hash}.jpg`.
    pub path: String,
    pub width: u32,
    pub height: u32,
}

impl PortraitFile {
    /// The file `hash` served under `dir` (`PORTRAITS_PATH`, or staff's own).
    pub fn under(dir: &str, hash: &str, width: u32, height: u32) -> Self {
        Self {
            path: format!("{dir}/{hash}.jpg"),
            width,
            height,
        }
    }
}

/// A portrait as a page shows it: its widths, narrowest first, and what it
/// shows in words, in the page's language where written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortraitView {
    pub files: Vec<PortraitFile>,
    pub alt: LangText,
}

impl PortraitView {
    /// The portrait with its words in `lang` where written, else the first
    /// written (en, fr, nl); `None` without any.
    pub fn new(files: Vec<PortraitFile>, written: &[LangText], lang: Locale) -> Option<Self> {
        let alt = written
            .iter()
            .find(|a| a.lang == lang)
            .or(written.first())
            .cloned()?;
        Some(Self { files, alt })
    }

    /// The narrowest width: what a browser without `srcset` shows.
    pub fn src(&self) -> &PortraitFile {
        self.files.first().expect("a portrait has a width")
    }

    /// The widest: what JSON-LD and link previews name.
    pub fn largest(&self) -> &PortraitFile {
        self.files.last().expect("a portrait has a width")
    }

    /// `srcset`: every width, for the browser to pick what its screen needs.
    pub fn srcset(&self) -> String {
        self.files
            .iter()
            .map(|f| format!("{} {}w", f.path, f.width))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `FROM … $alias` continued: only the portraits of persons who are public
/// and whose consent covers "portrait".
#[cfg(feature = "ssr")]
macro_rules! shown {
    ($alias:literal) => {
        concat!(
            " JOIN persons p ON p.id = ",
            $alias,
            ".person_id JOIN person_consents pc ON pc.person_id = p.id
             WHERE p.is_public AND pc.covers_portrait"
        )
    };
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::on_pool;
    use crate::server::db::Db;
    use std::collections::HashMap;

    /// The portraits the public may see, of person `only` or of all, by
    /// person id.
    pub async fn by_person(
        db: &Db,
        only: Option<i64>,
        lang: Locale,
    ) -> Result<HashMap<i64, PortraitView>, sqlx::Error> {
        let files: Vec<(i64, String, i64, i64)> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT f.person_id, f.hash, f.width, f.height FROM portrait_files f",
            shown!("f"),
            " AND ($1 IS NULL OR f.person_id = $1) ORDER BY f.person_id, f.width"
        ))
        .bind(only)
        .fetch_all(pool)
        .await)?;
        let alts: Vec<(i64, String, String)> = on_pool!(db, |pool| sqlx::query_as(concat!(
            "SELECT f.person_id, f.language, f.alt_text FROM portrait_alt_texts f",
            shown!("f"),
            " AND ($1 IS NULL OR f.person_id = $1) ORDER BY f.person_id, f.language"
        ))
        .bind(only)
        .fetch_all(pool)
        .await)?;
        let mut alt_of: HashMap<i64, Vec<LangText>> = HashMap::new();
        for (person, language, text) in alts {
            if let Some(lang) = Locale::from_code(&language) {
                alt_of
                    .entry(person)
                    .or_default()
                    .push(LangText { text, lang });
            }
        }
        let mut files_of: HashMap<i64, Vec<PortraitFile>> = HashMap::new();
        for (person, hash, width, height) in files {
            let size = |n: i64| u32::try_from(n).unwrap_or_default();
            let file = PortraitFile::under(PORTRAITS_PATH, &hash, size(width), size(height));
            files_of.entry(person).or_default().push(file);
        }
        Ok(files_of
            .into_iter()
            .filter_map(|(person, files)| {
                let written = alt_of.remove(&person).unwrap_or_default();
                Some((person, PortraitView::new(files, &written, lang)?))
            })
            .collect())
    }

    /// The portrait the public may see of the person `slug`, if any.
    pub async fn of_person(
        db: &Db,
        slug: &str,
        lang: Locale,
    ) -> Result<Option<PortraitView>, sqlx::Error> {
        let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM persons WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(pool)
        .await)?;
        let Some(id) = id else {
            return Ok(None);
        };
        Ok(by_person(db, Some(id), lang).await?.remove(&id))
    }

    /// `GET /portraits/{hash}.jpg`: the bytes, while the public may see
    /// them; else 404, as for no such file.
    pub async fn serve(
        axum::extract::State(state): axum::extract::State<crate::server::AppState>,
        axum::extract::Path(file): axum::extract::Path<String>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::StatusCode;
        let Some(hash) = file
            .strip_suffix(".jpg")
            .filter(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let public: Result<Option<Vec<u8>>, sqlx::Error> =
            on_pool!(&state.db, |pool| sqlx::query_scalar(concat!(
                "SELECT f.bytes FROM portrait_files f",
                shown!("f"),
                " AND f.hash = $1 LIMIT 1"
            ))
            .bind(hash)
            .fetch_optional(pool)
            .await);
        match public {
            // Kept a year by the browser that fetched it (the address never
            // serves other bytes), by no shared cache: a take-down, or
            // consent withdrawn, reaches every copy but those.
            Ok(Some(bytes)) => image_response(bytes, "private, max-age=31536000, immutable"),
            Ok(None) => StatusCode::NOT_FOUND.into_response(),
            Err(error) => crate::error::AppError::from(error).status().into_response(),
        }
    }

    /// A portrait's bytes as an image and nothing else, kept as `kept` says.
    pub fn image_response(bytes: Vec<u8>, kept: &'static str) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::{header, HeaderValue};
        let mut response = bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(kept));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        // Opened on its own, it is an image and nothing else can run in it.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        );
        response
    }
}
