//! The accessibility statement (the model of Commission Implementing
//! Decision (EU) 2018/1523) with its feedback form, in the reader's language.
use crate::accessibility::{FEEDBACK_PATH, MAX_MESSAGE_CHARS, STATEMENT_PREPARED};
use crate::components::{described_by, Honeypot};
use crate::domain::{Line, PartialDate};
use crate::i18n::use_locale;
use crate::pages::errors::NotFound;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccessibilityPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let locale = use_locale();
    let sent = use_query_map().read_untracked().get("sent").is_some();
    #[cfg(feature = "ssr")]
    let (flash, contact) = (
        crate::accessibility::on_server::take_flash(),
        crate::accessibility::on_server::contact(),
    );
    #[cfg(not(feature = "ssr"))]
    let (flash, contact): (Option<crate::accessibility::FeedbackFlash>, Option<String>) =
        (None, None);
    let flash = flash.unwrap_or_default();
    let title = locale.t("accessibility.title");
    let (year, month, day) = STATEMENT_PREPARED;
    let prepared = PartialDate::ymd(year, month, day)
        .map(|date| date.format(locale))
        .unwrap_or_default();
    let paragraphs = |keys: &[&str]| {
        keys.iter()
            .map(|key| view! { <p>{locale.t(key).replace("%{date}", &prepared)}</p> })
            .collect_view()
    };
    let limitations = [
        "accessibility.limitation_audit",
        "accessibility.limitation_partner_links",
        "accessibility.limitation_one_language",
    ]
    .into_iter()
    .map(|key| view! { <li>{locale.t(key)}</li> })
    .collect_view();
    let error = |field: &str| {
        flash.problem(field).map(|key| {
            let text = locale
                .t(key)
                .replace("%{max}", &locale.number(MAX_MESSAGE_CHARS as i64))
                .replace("%{line}", &locale.number(Line::MAX_CHARS as i64));
            view! {
                <p class="field-error" id=format!("{field}-error")>
                    {text}
                </p>
            }
        })
    };
    let invalid = |field: &str| flash.problem(field).map(|_| "true");
    let described =
        |field: &str, hint: bool| described_by(field, hint, flash.problem(field).is_some());
    let values = flash.values.clone();
    let form = if sent {
        view! {
            <p class="notice" role="status">
                {locale.t("accessibility.sent")}
            </p>
        }
        .into_any()
    } else {
        view! {
            {(!flash.problems.is_empty())
                .then(|| {
                    view! {
                        <p class="form-problem" role="alert">
                            {locale.t("accessibility.error.summary")}
                        </p>
                    }
                })}
            <form method="post" action=FEEDBACK_PATH class="feedback-form">
                <input type="hidden" name="lang" value=locale.code() />
                <div class="field">
                    <label for="message">{locale.t("accessibility.message")}</label>
                    <textarea
                        id="message"
                        name="message"
                        rows="6"
                        required
                        maxlength=MAX_MESSAGE_CHARS.to_string()
                        aria-invalid=invalid("message")
                        aria-describedby=described("message", false)
                    >
                        {values.message}
                    </textarea>
                    {error("message")}
                </div>
                <div class="field">
                    <label for="page">{locale.t("accessibility.page")}</label>
                    <input
                        id="page"
                        name="page"
                        type="text"
                        maxlength=Line::MAX_CHARS.to_string()
                        value=values.page
                        aria-invalid=invalid("page")
                        aria-describedby=described("page", false)
                    />
                    {error("page")}
                </div>
                <div class="field">
                    <label for="reply_to">{locale.t("accessibility.reply_to")}</label>
                    <input
                        id="reply_to"
                        name="reply_to"
                        type="email"
                        autocomplete="email"
                        value=values.reply_to
                        aria-invalid=invalid("reply_to")
                        aria-describedby=described("reply_to", true)
                    />
                    <p class="hint" id="reply_to-hint">
                        {locale.t("accessibility.reply_to_hint")}
                    </p>
                    {error("reply_to")}
                </div>
                <Honeypot />
                <button type="submit">{locale.t("accessibility.send")}</button>
            </form>
        }
        .into_any()
    };
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=locale.t("accessibility.commitment") />
        <section class="statement">
            <h1>{title}</h1>
            {paragraphs(&["accessibility.commitment", "accessibility.scope"])}
            <h2>{locale.t("accessibility.status_heading")}</h2>
            {paragraphs(&["accessibility.status"])}
            <h2>{locale.t("accessibility.limitations_heading")}</h2>
            <ul>{limitations}</ul>
            <h2>{locale.t("accessibility.preparation_heading")}</h2>
            {paragraphs(&["accessibility.preparation", "accessibility.testing"])}
            <h2 id="feedback">{locale.t("accessibility.feedback_heading")}</h2>
            {paragraphs(&["accessibility.feedback"])}
            {contact
                .map(|address| {
                    let mailto = format!("mailto:{address}");
                    view! {
                        <p>{locale.t("accessibility.contact")} " " <a href=mailto>{address}</a></p>
                    }
                })}
            {form}
            <h2>{locale.t("accessibility.enforcement_heading")}</h2>
            {paragraphs(&["accessibility.enforcement"])}
        </section>
    }
    .into_any()
}
