//! A person's portrait (issue 29), optional: a council member of a
//! municipality holding the case uploads it (a plain form, JavaScript off
//! works), with what it shows in words in each language the municipalities
//! require. The file is made safe (`portrait_image`) and kept in the
//! database in a few widths; the public sees it only while the person is
//! public and consent covers "portrait" (`api::portraits`), and uploading
//! one for a public person without that consent is refused next to the
//! file. Replacing and removing are audited; a take-down deletes it.
use crate::api::portraits::PortraitFile;
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use serde::{Deserialize, Serialize};

pub const PORTRAIT_FORM: &str = "portrait";

/// What a portrait shows, in a sentence.
pub const MAX_ALT_CHARS: usize = 250;

/// Where staff see a portrait, whatever the person's state.
pub const STAFF_PORTRAITS_PATH: &str = "/staff/portraits";

/// The portrait on record, as the person's staff page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPortrait {
    /// Narrowest first; paths under `STAFF_PORTRAITS_PATH`.
    pub files: Vec<PortraitFile>,
    /// What it shows, per language written.
    pub alt: Vec<(Locale, String)>,
    /// Whether the public sees it now (public person, consent to "portrait").
    pub shown: bool,
}

/// The form's fields other than the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortraitForm {
    pub lang: String,
    pub person: String,
    pub alt_en: String,
    pub alt_fr: String,
    pub alt_nl: String,
}

impl PortraitForm {
    #[cfg(feature = "ssr")]
    fn alt(&self, language: Locale) -> &str {
        match language {
            Locale::En => &self.alt_en,
            Locale::Fr => &self.alt_fr,
            Locale::Nl => &self.alt_nl,
        }
    }
}

/// `POST /api/staff/portrait`, `multipart/form-data`: the fields of
/// `PortraitForm` and the file as `portrait`.
#[server(prefix = "/api/staff", endpoint = "portrait", input = MultipartFormData)]
pub async fn upload_portrait(data: MultipartData) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::ManageCases).await?;
    on_server::upload(&user, data).await
}

#[server(prefix = "/api/staff", endpoint = "remove-portrait")]
pub async fn remove_portrait(lang: String, person: String) -> Result<(), AppError> {
    use crate::domain::Permission;
    let user = crate::backoffice::session::on_server::require(Permission::ManageCases).await?;
    on_server::remove(&user, &lang, &person).await
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::backoffice::forms::on_server::{done, refuse};
    use crate::backoffice::forms::Problems;
    use crate::backoffice::StaffUser;
    use crate::cases::portrait_image::{self, Rendition, MAX_FILE_BYTES};
    use crate::on_pool;
    use crate::server::audit::{Actor, AuditEntry, RecordAudit};
    use crate::server::db::{BeginWrite, Db};

    static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

    /// A text field of the form is a line or two.
    const MAX_FIELD_BYTES: usize = 4 * 1024;
    /// What is read of a file too large before giving up on the request:
    /// past that, the browser's own error page, not ours, tells staff.
    const MAX_DRAINED_BYTES: usize = 4 * MAX_FILE_BYTES;

    /// The form as sent: its fields, and the file, unless it was too large.
    struct Upload {
        form: PortraitForm,
        file: Result<Vec<u8>, portrait_image::Refusal>,
    }

    fn unreadable(error: impl std::fmt::Display) -> AppError {
        AppError::Invalid(format!("the form cannot be read: {error}"))
    }

    async fn read_upload(data: MultipartData) -> Result<Upload, AppError> {
        let mut multipart = data
            .into_inner()
            .ok_or_else(|| unreadable("not multipart/form-data"))?;
        let mut form = PortraitForm::default();
        let mut file = Vec::new();
        let mut too_large = false;
        let mut drained = 0usize;
        while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                drained += chunk.len();
                if drained > MAX_DRAINED_BYTES {
                    return Err(unreadable("the file is far too large"));
                }
                if name == "portrait" {
                    too_large |= file.len() + chunk.len() > MAX_FILE_BYTES;
                    if !too_large {
                        file.extend_from_slice(&chunk);
                    }
                } else if text.len() + chunk.len() <= MAX_FIELD_BYTES {
                    text.extend_from_slice(&chunk);
                } else {
                    return Err(unreadable(format!("{name} is too long")));
                }
            }
            let text = String::from_utf8(text).map_err(unreadable)?;
            match name.as_str() {
                "lang" => form.lang = text,
                "person" => form.person = text,
                "alt_en" => form.alt_en = text,
                "alt_fr" => form.alt_fr = text,
                "alt_nl" => form.alt_nl = text,
                _ => {}
            }
        }
        let file = if too_large {
            Err(portrait_image::Refusal::TooLarge)
        } else {
            Ok(file)
        };
        Ok(Upload { form, file })
    }

    /// The texts, checked: one line each, written in every language in
    /// `required` (in one at least when none is required).
    pub fn parse_alt_texts(
        problems: &mut Problems,
        form: &PortraitForm,
        required: &[Locale],
    ) -> Vec<(Locale, String)> {
        let mut written = Vec::new();
        for language in Locale::ALL {
            let field = format!("alt_{}", language.code());
            let text = form
                .alt(language)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if text.is_empty() {
                if required.contains(&language) {
                    problems.add(&field, "form.portrait_alt_required");
                }
            } else if text.chars().count() > MAX_ALT_CHARS {
                problems.add(&field, "form.too_long");
            } else {
                written.push((language, text));
            }
        }
        if required.is_empty() && written.is_empty() && problems.is_empty() {
            problems.add("alt_en", "form.portrait_alt_required");
        }
        written
    }

    #[tracing::instrument(skip_all, fields(actor = user.id))]
    pub async fn upload(user: &StaffUser, data: MultipartData) -> Result<(), AppError> {
        let Upload { form, file } = read_upload(data).await?;
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(&form.lang).unwrap_or_default();
        let slug = form.person.trim().to_owned();
        let case = crate::records::owners::case_to_change(&db, user.acting(), &slug).await?;
        let mut problems = Problems::default();
        let required = crate::records::translations::required_languages(&db, &slug).await?;
        let alt = parse_alt_texts(&mut problems, &form, &required);
        let renditions = match file {
            Ok(file) if file.is_empty() => {
                problems.add("portrait", "form.portrait_required");
                None
            }
            Ok(file) => {
                // One photo decoded at a time: each may take a few hundred MB.
                let _turn = DECODING.acquire().await.map_err(crate::error::internal)?;
                let made = tokio::task::spawn_blocking(move || portrait_image::renditions(&file))
                    .await
                    .map_err(crate::error::internal)?;
                made.map_err(|refusal| problems.add("portrait", refusal.key()))
                    .ok()
            }
            Err(refusal) => {
                problems.add("portrait", refusal.key());
                None
            }
        };
        let Some(renditions) = renditions.filter(|_| problems.is_empty()) else {
            return refuse(PORTRAIT_FORM, &form, problems).await;
        };
        let now = crate::server::clock::now();
        let stored = on_pool!(&db, |pool| {
            let mut tx = pool.begin_write().await?;
            let refused = tx
                .store_portrait(user.actor(), case.person_id, &renditions, &alt, now)
                .await?;
            if refused.is_none() {
                tx.commit().await?;
            }
            Ok::<_, sqlx::Error>(refused)
        })?;
        if let Some(why) = stored {
            return refuse(PORTRAIT_FORM, &form, Problems::one("portrait", why)).await;
        }
        let page = locale.path(&format!("/staff/persons/{slug}"), false);
        done(PORTRAIT_FORM, "staff.portrait_saved", &page).await
    }

    #[tracing::instrument(skip(user, lang), fields(actor = user.id))]
    pub async fn remove(user: &StaffUser, lang: &str, slug: &str) -> Result<(), AppError> {
        let db = crate::server::context::db()?;
        let locale = Locale::from_code(lang).unwrap_or_default();
        let slug = slug.trim();
        let case = crate::records::owners::case_to_change(&db, user.acting(), slug).await?;
        on_pool!(&db, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.delete_portrait(user.actor(), case.person_id, Some("portrait.remove"))
                .await?;
            tx.commit().await
        })?;
        let page = locale.path(&format!("/staff/persons/{slug}"), false);
        done(PORTRAIT_FORM, "staff.portrait_removed", &page).await
    }

    /// The portrait on record for a person, as staff see it.
    pub async fn portrait_of(
        db: &Db,
        person_id: i64,
    ) -> Result<Option<StaffPortrait>, sqlx::Error> {
        let files: Vec<(String, i64, i64)> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT hash, width, height FROM portrait_files WHERE person_id = $1 ORDER BY width"
        )
        .bind(person_id)
        .fetch_all(pool)
        .await
        })?;
        if files.is_empty() {
            return Ok(None);
        }
        let alt: Vec<(String, String)> = on_pool!(db, |pool| {
            sqlx::query_as(
            "SELECT language, alt_text FROM portrait_alt_texts WHERE person_id = $1 ORDER BY language"
        )
        .bind(person_id)
        .fetch_all(pool)
        .await
        })?;
        let shown = crate::api::portraits::on_server::by_person(db, Some(person_id), Locale::En)
            .await?
            .contains_key(&person_id);
        let size = |n: i64| u32::try_from(n).unwrap_or_default();
        Ok(Some(StaffPortrait {
            files: files
                .into_iter()
                .map(|(hash, width, height)| {
                    PortraitFile::under(STAFF_PORTRAITS_PATH, &hash, size(width), size(height))
                })
                .collect(),
            alt: alt
                .into_iter()
                .filter_map(|(code, text)| Some((Locale::from_code(&code)?, text)))
                .collect(),
            shown,
        }))
    }

    /// `GET /staff/portraits/{hash}.jpg`: any portrait, to staff who read
    /// cases (a private person's too), kept by no cache.
    pub async fn serve_to_staff(
        axum::extract::State(state): axum::extract::State<crate::server::AppState>,
        axum::extract::Path(file): axum::extract::Path<String>,
        headers: http::HeaderMap,
    ) -> axum::response::Response {
        use crate::backoffice::session::on_server::{may, user_from_headers};
        use axum::response::IntoResponse;
        use http::StatusCode;
        let user = match user_from_headers(&state, &headers).await {
            Ok(Some(user)) => user,
            Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
            Err(error) => return AppError::from(error).status().into_response(),
        };
        if may(&user, crate::domain::Permission::ReadCases).is_err() {
            return StatusCode::FORBIDDEN.into_response();
        }
        let hash = file.strip_suffix(".jpg").unwrap_or_default();
        let bytes: Result<Option<Vec<u8>>, sqlx::Error> = on_pool!(&state.db, |pool| {
            sqlx::query_scalar("SELECT bytes FROM portrait_files WHERE hash = $1 LIMIT 1")
                .bind(hash)
                .fetch_optional(pool)
                .await
        });
        match bytes {
            Ok(Some(bytes)) => {
                crate::api::portraits::on_server::image_response(bytes, "private, no-store")
            }
            Ok(None) => StatusCode::NOT_FOUND.into_response(),
            Err(error) => AppError::from(error).status().into_response(),
        }
    }

    /// A person's portrait, every part of it.
    const DELETE_PORTRAIT: [&str; 3] = [
        "DELETE FROM portrait_files WHERE person_id = $1",
        "DELETE FROM portrait_alt_texts WHERE person_id = $1",
        "DELETE FROM portraits WHERE person_id = $1",
    ];

    /// Portraits, on a connection inside the caller's transaction.
    pub trait PortraitStore {
        /// Replaces the person's portrait (audited); else, with nothing
        /// written, why not (a form message key): the case was taken down,
        /// or the person is public and consent does not cover a portrait.
        fn store_portrait(
            &mut self,
            actor: Actor,
            person_id: i64,
            renditions: &[Rendition],
            alt: &[(Locale, String)],
            now: i64,
        ) -> impl std::future::Future<Output = Result<Option<&'static str>, sqlx::Error>> + Send;

        /// Deletes the person's portrait, audited as `why` (if given) when
        /// there was one; returns the hashes of the files it had.
        fn delete_portrait(
            &mut self,
            actor: Actor,
            person_id: i64,
            why: Option<&'static str>,
        ) -> impl std::future::Future<Output = Result<Vec<String>, sqlx::Error>> + Send;
    }

    crate::impl_for_connections! {
        impl PortraitStore {
            async fn store_portrait(&mut self, actor: Actor, person_id: i64, renditions: &[Rendition], alt: &[(Locale, String)], now: i64) -> Result<Option<&'static str>, sqlx::Error> {
                // The person's row held first, as a take-down or a consent
                // recorded anew hold it: either went before, and is seen
                // here, or waits for this upload and then deletes or hides it.
                let held = sqlx::query("UPDATE persons SET is_public = is_public WHERE id = $1 AND taken_down_at IS NULL")
                    .bind(person_id)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                if held == 0 {
                    return Ok(Some("form.taken_down"));
                }
                let uncovered: bool = sqlx::query_scalar(
                    "SELECT p.is_public AND NOT COALESCE(c.covers_portrait, FALSE)
                       FROM persons p LEFT JOIN person_consents c ON c.person_id = p.id
                      WHERE p.id = $1",
                )
                .bind(person_id)
                .fetch_one(&mut *self)
                .await?;
                if uncovered {
                    return Ok(Some("form.consent_lacks_portrait"));
                }
                let before = self.delete_portrait(actor, person_id, None).await?;
                // (The texts replaced are in the previous upload's entry.)
                sqlx::query("INSERT INTO portraits (person_id, uploaded_at, uploaded_by) VALUES ($1, $2, $3)")
                    .bind(person_id)
                    .bind(now)
                    .bind(actor.user_id())
                    .execute(&mut *self)
                    .await?;
                for r in renditions {
                    sqlx::query(
                        "INSERT INTO portrait_files (person_id, width, height, hash, bytes)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(person_id)
                    .bind(i64::from(r.width))
                    .bind(i64::from(r.height))
                    .bind(&r.hash)
                    .bind(&r.jpeg)
                    .execute(&mut *self)
                    .await?;
                }
                for (language, text) in alt {
                    sqlx::query("INSERT INTO portrait_alt_texts (person_id, language, alt_text) VALUES ($1, $2, $3)")
                        .bind(person_id)
                        .bind(language.code())
                        .bind(text)
                        .execute(&mut *self)
                        .await?;
                }
                let alt: serde_json::Map<String, serde_json::Value> = alt
                    .iter()
                    .map(|(l, t)| (l.code().to_owned(), t.clone().into()))
                    .collect();
                let hashes: Vec<&str> = renditions.iter().map(|r| r.hash.as_str()).collect();
                let entry = AuditEntry::new(actor, "portrait.upload", "person", person_id)
                    .before(&serde_json::json!({ "files": before }))
                    .after(&serde_json::json!({ "files": hashes, "alt": alt }));
                self.record_audit(&entry).await?;
                Ok(None)
            }

            async fn delete_portrait(&mut self, actor: Actor, person_id: i64, why: Option<&'static str>) -> Result<Vec<String>, sqlx::Error> {
                let before: Vec<String> = sqlx::query_scalar(
                    "SELECT hash FROM portrait_files WHERE person_id = $1 ORDER BY width",
                )
                .bind(person_id)
                .fetch_all(&mut *self)
                .await?;
                let alt: Vec<(String, String)> = sqlx::query_as(
                    "SELECT language, alt_text FROM portrait_alt_texts WHERE person_id = $1 ORDER BY language",
                )
                .bind(person_id)
                .fetch_all(&mut *self)
                .await?;
                for delete in DELETE_PORTRAIT {
                    sqlx::query(delete)
                        .bind(person_id)
                        .execute(&mut *self)
                        .await?;
                }
                if let Some(why) = why.filter(|_| !before.is_empty()) {
                    let alt: serde_json::Map<String, serde_json::Value> =
                        alt.into_iter().map(|(l, t)| (l, t.into())).collect();
                    let entry = AuditEntry::new(actor, why, "person", person_id)
                        .before(&serde_json::json!({ "files": before, "alt": alt }))
                        .after(&serde_json::json!({ "files": [] }));
                    self.record_audit(&entry).await?;
                }
                Ok(before)
            }
        }
    }
}
