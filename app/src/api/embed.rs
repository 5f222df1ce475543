//! What a city pastes into its own website: `/actions/{slug}/embed` (and
//! `/fr/…`, `/nl/…`), a small page for an `<iframe>` showing the person, the
//! count against the goal and a link that opens the action page; and
//! `/actions/{slug}/badge.svg`, the live count as an image. Both work with
//! JavaScript off, are cacheable for a minute, and show nothing a public
//! page does not. The embed alone may be framed by any site
//! (`frame-ancestors *`); every other page keeps `'none'`.
use crate::api::actions::{on_server as actions, on_server::ActionListing};
use crate::domain::Availability;
use crate::i18n::Locale;
use crate::server::cacheable::cacheable;
use crate::server::AppState;
use crate::text::escape_markup as escape;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};

const CACHE: &str = "public, max-age=60";

/// The embed's own policy: no script at all, styles from this site, and any
/// page may frame it.
const EMBED_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors *";

/// `GET /actions/{slug}/embed`, in English.
pub async fn embed(
    state: State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    embed_page(state, Locale::En, slug, headers).await
}

/// `GET /{lang}/actions/{slug}/embed`.
pub async fn embed_in(
    state: State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match Locale::from_code(&lang) {
        Some(locale) => embed_page(state, locale, slug, headers).await,
        None => not_found(),
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "No such support action.").into_response()
}

/// 404, or, for an action about a person taken down (issue 29), what the
/// city's page then shows in its frame or image: a neutral "no longer
/// shown", naming nobody, with 410 so that caches let it go.
async fn missing(state: &AppState, slug: &str, locale: Locale, badge: bool) -> Response {
    match crate::records::takedown::action_gone(&state.db, slug).await {
        Ok(false) => not_found(),
        Err(error) => unreadable(error),
        Ok(true) if badge => {
            let text = locale.t("embed.badge_gone");
            let svg = badge_svg(&locale.t("embed.badge_label"), &text, &text);
            let mut response = (
                StatusCode::GONE,
                [(header::CONTENT_TYPE, "image/svg+xml")],
                svg,
            )
                .into_response();
            image_headers(response.headers_mut());
            response
        }
        Ok(true) => {
            let stylesheet = crate::server::stylesheet(&state.leptos_options);
            let card = format!("<p>{}</p>", escape(&locale.t("embed.gone")));
            let page = embed_document(locale, &locale.t("error.gone_title"), &stylesheet, &card);
            let mut response = (
                StatusCode::GONE,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                page,
            )
                .into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(EMBED_POLICY),
            );
            response
        }
    }
}

/// The rule every reader follows (`AppError::from`, which logs the cause):
/// 503 with Retry-After while the database cannot be reached, else 500.
fn unreadable(error: sqlx::Error) -> Response {
    match crate::error::AppError::from(error) {
        crate::error::AppError::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(
                header::RETRY_AFTER,
                HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
            )],
            "The count cannot be read now.",
        )
            .into_response(),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The count cannot be read.",
        )
            .into_response(),
    }
}

async fn embed_page(
    State(state): State<AppState>,
    locale: Locale,
    slug: String,
    headers: HeaderMap,
) -> Response {
    let action = match actions::listing(&state.db, &slug, locale).await {
        Ok(Some(action)) => action,
        Ok(None) => return missing(&state, &slug, locale, false).await,
        Err(error) => return unreadable(error),
    };
    let portrait = match crate::api::portraits::on_server::of_person(
        &state.db,
        action.person_slug.as_str(),
        locale,
    )
    .await
    {
        Ok(portrait) => portrait,
        Err(error) => return unreadable(error),
    };
    let stylesheet = crate::server::stylesheet(&state.leptos_options);
    let page = embed_html(
        &action,
        portrait.as_ref(),
        locale,
        &state.public_url,
        &stylesheet,
    );
    let mut response = cacheable(&headers, page, "text/html; charset=utf-8", CACHE);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(EMBED_POLICY),
    );
    response
}

/// The embed: plain HTML, its texts escaped, its link opening the action
/// page outside the frame.
fn embed_html(
    action: &ActionListing,
    portrait: Option<&crate::api::portraits::PortraitView>,
    locale: Locale,
    public_url: &str,
    stylesheet: &str,
) -> String {
    let href = format!(
        "{public_url}{}",
        locale.path(&format!("/actions/{}", action.slug), false)
    );
    let counted = action.confirmed + action.paper;
    let count = locale.signature_count(counted, action.goal);
    let link = if action.availability == Availability::Open {
        locale.t("embed.sign")
    } else {
        locale.t("embed.see")
    };
    let lang_attr = |text: &crate::i18n::LangText| match text.lang_attr(locale) {
        Some(lang) => format!(" lang=\"{lang}\""),
        None => String::new(),
    };
    // The person's face beside the action, 64 pixels wide as on cards; from
    // this site, as the embed's own policy allows (`img-src 'self'`).
    let image = portrait.map_or_else(String::new, |p| {
        format!(
            "<img class=\"portrait\" src=\"{src}\" srcset=\"{srcset}\" sizes=\"64px\" \
             width=\"64\" height=\"80\" alt=\"{alt}\"{alt_lang}>",
            src = escape(&p.src().path),
            srcset = escape(&p.srcset()),
            alt = escape(&p.alt.text),
            alt_lang = lang_attr(&p.alt),
        )
    });
    let card = format!(
        "{image}<p class=\"for-person\">{for_label} <strong>{person}</strong></p>\
         <h1{title_lang}>{title}</h1>\
         <p class=\"signature-count\" id=\"count\">{count}</p>\
         <progress max=\"{max}\" value=\"{value}\" aria-labelledby=\"count\"></progress>\
         <p><a class=\"embed-link\" href=\"{href}\" target=\"_blank\" rel=\"noopener\">{link}</a></p>",
        title = escape(&action.title.text),
        title_lang = lang_attr(&action.title),
        for_label = escape(&locale.t("action.for")),
        person = escape(&action.person_name),
        count = escape(&count),
        max = action.goal.max(1),
        value = counted.min(action.goal.max(1)),
        href = escape(&href),
        link = escape(&link),
    );
    embed_document(locale, &action.title.text, stylesheet, &card)
}

/// The page around an embed's card: plain HTML for a city's `<iframe>`,
/// this site's stylesheet, `card` already escaped.
fn embed_document(locale: Locale, title: &str, stylesheet: &str, card: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\
         <body class=\"embed\"><main class=\"embed-card\">{card}</main></body></html>",
        lang = locale.code(),
        title = escape(title),
    )
}

/// The badge's language: `?lang=`, else English (an `<img>` sends no useful
/// Accept-Language of the page it is on).
#[derive(Debug, Default, serde::Deserialize)]
pub struct BadgeQuery {
    pub lang: Option<String>,
}

/// `GET /actions/{slug}/badge.svg`: "signatures | 1,234 / 5,000", at most
/// a second old on the server and a minute in caches.
pub async fn badge(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<BadgeQuery>,
    headers: HeaderMap,
) -> Response {
    let locale = query
        .lang
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or_default();
    let (goal, confirmed) = match actions::live_count(&state, &slug).await {
        Ok(Some((goal, online, paper))) => (goal, online + paper),
        Ok(None) => return missing(&state, &slug, locale, true).await,
        Err(error) => return unreadable(error),
    };
    let svg = badge_svg(
        &locale.t("embed.badge_label"),
        &format!("{} / {}", locale.number(confirmed), locale.number(goal)),
        &locale.signature_count(confirmed, goal),
    );
    let mut response = cacheable(&headers, svg, "image/svg+xml", CACHE);
    image_headers(response.headers_mut());
    response
}

fn image_headers(out: &mut HeaderMap) {
    crate::api::v1::allow_any_origin(out);
    // Opened on its own, the image may run nothing.
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
}

/// A two-part badge in the usual style: a label and a value, each box as
/// wide as its text (Verdana 11px, about 7px a character).
fn badge_svg(label: &str, value: &str, spoken: &str) -> String {
    let width = |text: &str| 10 + 7 * text.chars().count();
    let (left, right) = (width(label), width(value));
    let total = left + right;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total}\" height=\"20\" role=\"img\" aria-label=\"{spoken}\">\
         <title>{spoken}</title>\
         <rect width=\"{left}\" height=\"20\" fill=\"#555\"/>\
         <rect x=\"{left}\" width=\"{right}\" height=\"20\" fill=\"#8a5a00\"/>\
         <g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\" text-anchor=\"middle\">\
         <text x=\"{lx}\" y=\"14\">{label}</text><text x=\"{rx}\" y=\"14\">{value}</text></g></svg>",
        spoken = escape(spoken),
        label = escape(label),
        value = escape(value),
        lx = left / 2,
        rx = left + right / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_escapes_its_texts_and_fits_them() {
        let svg = badge_svg("signatures", "1,234 / 5,000", "1,234 of 5,000 <signatures>");
        assert!(svg.contains("aria-label=\"1,234 of 5,000 &lt;signatures&gt;\""));
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"181\""),
            "{svg}"
        );
    }
}
