//! `/staff/translations`: what waits for translation, by language, with a
//! link to the fieldset of that language in each update's editor.
use super::forms::{gate, gated, StaffNav};
use crate::domain::Permission;
use crate::i18n::{use_locale, Locale};
use crate::staff::translations::{translation_queue, QueueEntry, QueueKind, TranslationsWorkspace};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

/// "Title, Text" in the page's language.
fn field_names(locale: Locale, fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| locale.t(super::forms::field_label(f)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
pub fn StaffTranslationsPage() -> impl IntoView {
    super::private_page();
    let locale = use_locale();
    let title = locale.t("staff.translations_title");
    let language = use_query_map()
        .get_untracked()
        .get("language")
        .unwrap_or_default();
    let data = Resource::new(
        move || language.clone(),
        move |language| {
            gate(Permission::WriteUpdates, async move {
                translation_queue(language).await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone()/>
        <Meta name="robots" content="noindex"/>
        {gated(data, move |page: TranslationsWorkspace| {
            let chosen = page.language.map(Locale::code).unwrap_or_default();
            let options = std::iter::once((String::new(), locale.t("staff.translations_all")))
                .chain(locale.language_choices())
                .map(|(value, label)| {
                    let selected = value == chosen;
                    view! { <option value=value selected=selected>{label}</option> }
                })
                .collect_view();
            view! {
                <StaffNav user=page.user.clone()/>
                <section class="staff-page">
                    <h1>{title.clone()}</h1>
                    <p>{locale.t("staff.translations_lead")}</p>
                    <form method="get" action=locale.path("/staff/translations", false) class="inline-form">
                        <label for="translations-language">{locale.t("staff.translations_language")}</label>
                        " "
                        <select id="translations-language" name="language">{options}</select>
                        " "
                        <button type="submit">{locale.t("staff.translations_show")}</button>
                    </form>
                    {page.entries.is_empty().then(|| view! { <p class="empty">{locale.t("staff.translations_none")}</p> })}
                    {(!page.entries.is_empty()).then(|| view! {
                        <table class="translation-queue">
                            <thead><tr>
                                <th scope="col">{locale.t("staff.translations_record")}</th>
                                <th scope="col">{locale.t("staff.translations_language")}</th>
                                <th scope="col">{locale.t("staff.translations_to_do")}</th>
                                <th scope="col">{locale.t("staff.col_state")}</th>
                            </tr></thead>
                            <tbody>
                                {page.entries.into_iter().map(|entry| view! { <QueueRow entry/> }).collect_view()}
                            </tbody>
                        </table>
                    })}
                </section>
            }
        })}
    }
}

#[component]
fn QueueRow(entry: QueueEntry) -> impl IntoView {
    let locale = use_locale();
    let href = locale.path(&entry.editor, false);
    let mut to_do = Vec::new();
    if !entry.missing.is_empty() {
        to_do.push(format!(
            "{} {}",
            locale.t("staff.translations_missing"),
            field_names(locale, &entry.missing)
        ));
    }
    if !entry.outdated.is_empty() {
        to_do.push(format!(
            "{} {}",
            locale.t("staff.translations_outdated"),
            field_names(locale, &entry.outdated)
        ));
    }
    view! {
        <tr data-editor=entry.editor.clone() data-language=entry.language.code()>
            <td>
                {locale.t(entry.kind.label_key())} ": "
                <a href=href lang=entry.title.lang_attr(locale)>{entry.title.text.clone()}</a>
                {(entry.kind != QueueKind::Person).then(|| view! { " · " {entry.person_name.clone()} })}
            </td>
            <td>{locale.language_name(entry.language)}</td>
            <td>{to_do.join(" · ")}</td>
            <td>{locale.t(if entry.is_published { "staff.state_published" } else { "staff.state_draft" })}</td>
        </tr>
    }
}
