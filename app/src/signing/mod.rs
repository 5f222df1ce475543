//! The signing form as the browser sends it, its parsing into a
//! `SignatureRequest`, and the server functions behind the form and behind
//! the two links of the confirmation mail.
//!
//! One server function serves both ways of posting: the island's fetch gets
//! a `SignResult` back; a plain form post (JavaScript off) is answered with a
//! redirect to the action page and a short-lived flash cookie that carries the
//! result and the typed values, so the page can show them next to the fields.
use super::signatures::SignatureRequest;
use crate::domain::{CountryCode, Email, EmailError, Line, PersonName, PersonNameError, Slug};
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The fields exactly as posted. Field names avoid `action` and `name`, which
/// shadow a form element's own properties in the DOM.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignFormValues {
    pub support_action: String,
    pub lang: String,
    pub full_name: String,
    pub email: String,
    pub place: String,
    pub country: String,
    /// Checkboxes: present ("on") when ticked, absent otherwise.
    pub consent: String,
    pub show_name: String,
    pub keep_informed: String,
    /// The honeypot: hidden from people, filled in by naive bots.
    pub website: String,
}

impl SignFormValues {
    pub fn ticked(value: &str) -> bool {
        !value.is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignField {
    FullName,
    Email,
    Place,
    Country,
    Consent,
}

impl SignField {
    /// The `name` of the form control, also the stem of its ids.
    pub fn control(self) -> &'static str {
        match self {
            SignField::FullName => "full_name",
            SignField::Email => "email",
            SignField::Place => "place",
            SignField::Country => "country",
            SignField::Consent => "consent",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: SignField,
    /// A translation key under `sign.error`.
    pub message: String,
}

/// What the signer is shown after posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignResult {
    /// "Check your mail": the same whether or not the address had signed before.
    Accepted,
    Invalid(Vec<FieldError>),
    /// The action closed (or never existed) between showing the form and posting it.
    NotOpen,
    /// Our fault: nothing was recorded; trying again is safe.
    Failed,
}

impl SignResult {
    pub fn error_for(&self, field: SignField) -> Option<&str> {
        match self {
            SignResult::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }
}

/// What a plain form post leaves for the page it is redirected to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignFlash {
    pub action: String,
    pub values: SignFormValues,
    pub result: SignResult,
}

/// Parses the posted fields. Every problem is reported at once, each next to
/// its field; the country is checked against the database later.
pub fn parse_signature_form(
    values: &SignFormValues,
    client_ip: Option<std::net::IpAddr>,
) -> Result<SignatureRequest, SignResult> {
    let mut errors = Vec::new();
    let mut fail = |field, key: &str| {
        errors.push(FieldError {
            field,
            message: format!("sign.error.{key}"),
        })
    };
    let action = Slug::parse(values.support_action.trim());
    let name = PersonName::parse(&values.full_name).map_err(|e| match e {
        PersonNameError::Empty => "name_required",
        PersonNameError::TooLong => "name_too_long",
        PersonNameError::ForbiddenCharacters => "name_characters",
    });
    if let Err(key) = &name {
        fail(SignField::FullName, key);
    }
    let email = Email::parse(&values.email).map_err(|e| match e {
        EmailError::Empty => "email_required",
        EmailError::TooLong | EmailError::Invalid => "email_invalid",
    });
    if let Err(key) = &email {
        fail(SignField::Email, key);
    }
    let place = match values.place.trim() {
        "" => Ok(None),
        typed => Line::parse(typed).map(Some).map_err(|_| "place_invalid"),
    };
    if let Err(key) = &place {
        fail(SignField::Place, key);
    }
    let country = match values.country.trim() {
        "" => Ok(None),
        code => CountryCode::parse(code)
            .map(Some)
            .map_err(|_| "country_unknown"),
    };
    if let Err(key) = &country {
        fail(SignField::Country, key);
    }
    if !SignFormValues::ticked(&values.consent) {
        fail(SignField::Consent, "consent_required");
    }
    let Ok(action) = action else {
        return Err(SignResult::NotOpen);
    };
    match (name, email, place, country) {
        (Ok(name), Ok(email), Ok(place), Ok(country)) if errors.is_empty() => {
            Ok(SignatureRequest {
                action,
                name,
                email,
                place,
                country,
                show_name: SignFormValues::ticked(&values.show_name),
                keep_informed: SignFormValues::ticked(&values.keep_informed),
                locale: Locale::from_code(&values.lang).unwrap_or_default(),
                client_ip,
            })
        }
        _ => Err(SignResult::Invalid(errors)),
    }
}

/// Signs a support action. See the module comment for the two ways it answers.
#[server(prefix = "/api", endpoint = "sign")]
pub async fn sign_support_action(
    #[server(flatten)] form: SignFormValues,
) -> Result<SignResult, ServerFnError> {
    let state = super::state()?;
    let parts = super::request_parts()?;
    let plain_post = on_server::is_plain_form_post(&parts.headers);
    let client_ip = crate::ssr::abuse::client_ip(&parts, state.client_ip_header.as_ref());
    let result = on_server::sign(&state, &form, client_ip).await;
    if !plain_post {
        return match result {
            SignResult::Failed => Err(ServerFnError::new("internal error")),
            other => Ok(other),
        };
    }
    let locale = Locale::from_code(&form.lang).unwrap_or_default();
    let page = locale.path(&format!("/actions/{}", form.support_action.trim()), false);
    on_server::set_flash(&SignFlash {
        action: form.support_action.trim().to_owned(),
        values: SignFlash::keepable(form),
        result: result.clone(),
    });
    leptos_axum::redirect(&format!("{page}#sign"));
    Ok(result)
}

impl SignFlash {
    /// The values worth showing again: never the honeypot.
    pub fn keepable(values: SignFormValues) -> SignFormValues {
        SignFormValues {
            website: String::new(),
            ..values
        }
    }
}

/// Every country, named and sorted in the page's language, for the form's list.
#[server]
pub async fn country_choices(locale: Locale) -> Result<Vec<(CountryCode, String)>, ServerFnError> {
    use crate::on_pool;
    let db = super::db()?;
    let rows: Vec<(String, String, String, String)> = on_pool!(&db, |pool| sqlx::query_as(
        "SELECT code, name_en, name_fr, name_nl FROM countries"
    )
    .fetch_all(pool)
    .await)
    .map_err(super::internal)?;
    let mut choices = rows
        .into_iter()
        .filter_map(|(code, en, fr, nl)| {
            let name = match locale {
                Locale::En => en,
                Locale::Fr => fr,
                Locale::Nl => nl,
            };
            CountryCode::parse(&code).ok().map(|code| (code, name))
        })
        .collect::<Vec<_>>();
    choices.sort_by_cached_key(|(_, name)| super::persons::queries::name_key(name));
    Ok(choices)
}

/// Where a mailed token stands, for the confirm and withdraw pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub state: SignatureState,
    pub action_slug: Slug,
    pub action_title: String,
    pub action_open: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignatureState {
    Pending,
    Confirmed,
    Withdrawn,
}

#[server]
pub async fn signature_by_token(token: String) -> Result<Option<TokenView>, ServerFnError> {
    let db = super::db()?;
    super::signatures::queries::by_token(&db, &token)
        .await
        .map_err(super::internal)
}

/// The confirm link's button. Answers with a redirect back to the page of
/// the link, which then shows the new state from the database.
#[server(prefix = "/api", endpoint = "confirm-signature")]
pub async fn confirm_signature(token: String, lang: String) -> Result<(), ServerFnError> {
    let db = super::db()?;
    let now = crate::ssr::outbox::unix_now();
    super::signatures::queries::confirm(&db, &token, now)
        .await
        .map_err(super::internal)?;
    on_server::back_to_token_page("confirm", &token, &lang);
    Ok(())
}

#[server(prefix = "/api", endpoint = "withdraw-signature")]
pub async fn withdraw_signature(token: String, lang: String) -> Result<(), ServerFnError> {
    let db = super::db()?;
    super::signatures::queries::withdraw(&db, &token)
        .await
        .map_err(super::internal)?;
    on_server::back_to_token_page("withdraw", &token, &lang);
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::api::signatures::queries::SignError;
    use crate::ssr::cookies;
    use crate::ssr::AppState;
    use http::header::ACCEPT;

    pub const FLASH_COOKIE: &str = "lumieres_sign";

    /// A browser posting the form itself asks for HTML; the island's fetch does not.
    pub fn is_plain_form_post(headers: &http::HeaderMap) -> bool {
        headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    pub async fn sign(
        state: &AppState,
        form: &SignFormValues,
        client_ip: Option<std::net::IpAddr>,
    ) -> SignResult {
        if !form.website.trim().is_empty() {
            // A bot: it gets the answer a person would get, and nothing is stored.
            tracing::info!(ip = ?client_ip, "honeypot field filled: signature dropped");
            return SignResult::Accepted;
        }
        let request = match parse_signature_form(form, client_ip) {
            Ok(request) => request,
            Err(result) => return result,
        };
        let now = crate::ssr::outbox::unix_now();
        let action = request.action.clone();
        match state.sign_queue.sign(request, now).await {
            Ok(outcome) => {
                tracing::debug!(?outcome, %action, "signature request");
                SignResult::Accepted
            }
            Err(SignError::UnknownAction(_) | SignError::ActionNotOpen) => SignResult::NotOpen,
            Err(SignError::UnknownCountry(_)) => SignResult::Invalid(vec![FieldError {
                field: SignField::Country,
                message: "sign.error.country_unknown".to_owned(),
            }]),
            Err(error @ SignError::Database(_)) => {
                tracing::error!(%error, "signing failed");
                SignResult::Failed
            }
        }
    }

    pub fn set_flash(flash: &SignFlash) {
        cookies::set_flash(FLASH_COOKIE, flash);
    }

    /// Reads the flash left for this action's page, and clears it. A flash
    /// for another action is left alone.
    pub fn take_flash(action: &Slug) -> Option<SignFlash> {
        cookies::take_flash(FLASH_COOKIE, |flash: &SignFlash| {
            flash.action == action.as_str()
        })
    }

    pub fn back_to_token_page(kind: &str, token: &str, lang: &str) {
        let locale = Locale::from_code(lang).unwrap_or_default();
        // The token is base64url: safe in a query string as it is.
        let token: String = token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        leptos_axum::redirect(&locale.path(&format!("/signatures/{kind}?token={token}"), false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SignFormValues {
        SignFormValues {
            support_action: "solidarity-with-vahid-afkari".into(),
            lang: "nl".into(),
            full_name: "  Amélie   Dupont ".into(),
            email: "Amelie+petition@Example.org".into(),
            place: "1000".into(),
            country: "BE".into(),
            consent: "on".into(),
            show_name: "on".into(),
            keep_informed: String::new(),
            website: String::new(),
        }
    }

    #[test]
    fn a_valid_form_becomes_a_request() {
        let request = parse_signature_form(&valid(), None).unwrap();
        assert_eq!(request.name.as_str(), "Amélie Dupont");
        assert_eq!(request.email.canonical(), "amelie@example.org");
        assert_eq!(request.place.unwrap().as_str(), "1000");
        assert_eq!(request.country.unwrap().as_str(), "BE");
        assert!(request.show_name);
        assert!(!request.keep_informed);
        assert_eq!(request.locale, Locale::Nl);
    }

    #[test]
    fn every_problem_is_reported_next_to_its_field() {
        let form = SignFormValues {
            full_name: " ".into(),
            email: "not an address".into(),
            place: "x".repeat(Line::MAX_CHARS + 1),
            country: "Belgium".into(),
            consent: String::new(),
            ..valid()
        };
        let Err(SignResult::Invalid(errors)) = parse_signature_form(&form, None) else {
            panic!("invalid form accepted");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                SignField::FullName,
                SignField::Email,
                SignField::Place,
                SignField::Country,
                SignField::Consent
            ]
        );
        assert_eq!(errors[0].message, "sign.error.name_required");
        assert_eq!(errors[4].message, "sign.error.consent_required");
        for error in &errors {
            for locale in Locale::ALL {
                let text = locale.t(&error.message);
                assert_ne!(text, error.message, "{locale:?} lacks {}", error.message);
            }
        }
    }

    #[test]
    fn optional_fields_may_be_left_empty() {
        let form = SignFormValues {
            place: String::new(),
            country: String::new(),
            show_name: String::new(),
            ..valid()
        };
        let request = parse_signature_form(&form, None).unwrap();
        assert_eq!(request.place, None);
        assert_eq!(request.country, None);
        assert!(!request.show_name);
    }

    #[test]
    fn a_garbled_action_is_not_open() {
        let form = SignFormValues {
            support_action: "../../etc".into(),
            ..valid()
        };
        assert_eq!(
            parse_signature_form(&form, None).unwrap_err(),
            SignResult::NotOpen
        );
    }
}
