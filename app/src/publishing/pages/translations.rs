//! `/staff/translations`: what waits for translation, by language; and
//! `/staff/translate/{kind}/{key}/{language}`: one record's fields in that
//! language, each beside its original.
use crate::backoffice::pages::forms::{
    field_label, gate, gated, CheckField, FlashNotice, LangField, StaffNav, TextArea, TextField,
};
use crate::domain::Permission;
use crate::i18n::{use_locale, Locale};
use crate::publishing::translations::{
    translation_queue, translation_workspace, FieldToTranslate, QueueEntry, QueueKind,
    SaveTranslation, TranslationPage, TranslationsWorkspace, TRANSLATION_FORM,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

/// "Title, Text" in the page's language.
fn field_names(locale: Locale, fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| locale.t(field_label(f)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
pub fn StaffTranslationsPage() -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let title = locale.t("staff.translations_title");
    let language = use_query_map()
        .get_untracked()
        .get("language")
        .unwrap_or_default();
    let all = language == "all";
    let data = Resource::new(
        move || language.clone(),
        move |language| {
            gate(Permission::WriteUpdates, async move {
                translation_queue(language).await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: TranslationsWorkspace| {
                let mine = !page.translates.is_empty();
                let chosen = match page.language {
                    Some(language) => language.code(),
                    None if mine && !all => "",
                    None => "all",
                };
                let options = mine
                    .then(|| (String::new(), locale.t("staff.translations_mine")))
                    .into_iter()
                    .chain(std::iter::once(("all".to_owned(), locale.t("staff.translations_all"))))
                    .chain(locale.language_choices())
                    .map(|(value, label)| {
                        let selected = value == chosen;
                        // A translator's queue opens on their languages: "" asks for them.
                        view! {
                            <option value=value selected=selected>
                                {label}
                            </option>
                        }
                    })
                    .collect_view();
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <p>{locale.t("staff.translations_lead")}</p>
                        {(!page.translates.is_empty() && page.language.is_none() && !all)
                            .then(|| {
                                let names: Vec<String> = page
                                    .translates
                                    .iter()
                                    .map(|l| locale.language_name(*l))
                                    .collect();
                                view! {
                                    <p class="translator-languages">
                                        {locale
                                            .t("staff.translations_yours")
                                            .replace("%{languages}", &names.join(", "))} " "
                                        <a href=format!(
                                            "{}?language=all",
                                            locale.path("/staff/translations", false),
                                        )>{locale.t("staff.translations_all")}</a>
                                    </p>
                                }
                            })}
                        <form
                            method="get"
                            action=locale.path("/staff/translations", false)
                            class="inline-form"
                        >
                            <label for="translations-language">
                                {locale.t("staff.translations_language")}
                            </label>
                            " "
                            <select id="translations-language" name="language">
                                {options}
                            </select>
                            " "
                            <button type="submit">{locale.t("staff.translations_show")}</button>
                        </form>
                        <FlashNotice flash=page.flash.clone() />
                        {page
                            .entries
                            .is_empty()
                            .then(|| {
                                view! { <p class="empty">{locale.t("staff.translations_none")}</p> }
                            })}
                        {(!page.entries.is_empty())
                            .then(|| {
                                view! {
                                    <table class="translation-queue">
                                        <thead>
                                            <tr>
                                                <th scope="col">{locale.t("staff.translations_record")}</th>
                                                <th scope="col">
                                                    {locale.t("staff.translations_language")}
                                                </th>
                                                <th scope="col">{locale.t("staff.translations_to_do")}</th>
                                                <th scope="col">{locale.t("staff.col_state")}</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {page
                                                .entries
                                                .into_iter()
                                                .map(|entry| view! { <QueueRow entry /> })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                            })}
                    </section>
                }
            },
        )}
    }
}

#[component]
fn QueueRow(entry: QueueEntry) -> impl IntoView {
    let locale = use_locale();
    let href = locale.path(&entry.translate, false);
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
        <tr data-translate=entry.translate.clone() data-language=entry.language.code()>
            <td>
                {locale.t(entry.kind.label_key())} ": "
                <a href=href lang=entry.title.lang_attr(locale)>
                    {entry.title.text.clone()}
                </a>
                {(entry.kind != QueueKind::Person)
                    .then(|| {
                        view! {
                            " · "
                            {entry.person_name.clone()}
                        }
                    })}
            </td>
            <td>{locale.language_name(entry.language)}</td>
            <td>{to_do.join(" · ")}</td>
            <td>
                {locale
                    .t(
                        if entry.is_published {
                            "staff.state_published"
                        } else {
                            "staff.state_draft"
                        },
                    )}
            </td>
        </tr>
    }
}

#[component]
pub fn StaffTranslatePage(kind: String, key: String, language: String) -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let data = Resource::new(
        move || (kind.clone(), key.clone(), language.clone()),
        move |(kind, key, language)| {
            gate(
                Permission::WriteUpdates,
                translation_workspace(kind, key, language),
            )
        },
    );
    view! {
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: TranslationPage| {
                let heading = locale
                    .t("staff.translate_title")
                    .replace("%{language}", &locale.language_name(page.language));
                let language = page.language;
                let fields = page
                    .fields
                    .iter()
                    .map(|field| {
                        view! {
                            <TranslationPair
                                field=field.clone()
                                language
                                flash=page.flash.clone()
                            />
                        }
                    })
                    .collect_view();
                let outdated = page.fields.iter().any(|f| f.outdated);
                view! {
                    <Title text=format!("{heading}: {}", page.title.text) />
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>
                            {heading} ": "
                            <span lang=page.title.lang_attr(locale)>{page.title.text.clone()}</span>
                        </h1>
                        <p>
                            {locale.t(page.kind.label_key())}
                            {(page.kind != QueueKind::Person)
                                .then(|| {
                                    view! {
                                        " · "
                                        {page.person_name.clone()}
                                    }
                                })} " · "
                            <a href=locale
                                .path(
                                    "/staff/translations",
                                    false,
                                )>{locale.t("staff.translations_title")}</a>
                        </p>
                        <FlashNotice flash=page.flash.clone() />
                        <form
                            method="post"
                            action={<SaveTranslation as ServerFn>::PATH}
                            class="staff-form translation"
                        >
                            <LangField />
                            <input type="hidden" name="kind" value=page.kind.slug() />
                            <input type="hidden" name="key" value=page.key.clone() />
                            <input type="hidden" name="language" value=language.code() />
                            {fields}
                            {outdated
                                .then(|| {
                                    view! {
                                        <p class="outdated">
                                            {locale.t("staff.translation_outdated")}
                                        </p>
                                        <CheckField
                                            form=TRANSLATION_FORM
                                            name="checked"
                                            label=locale.t("staff.translation_checked")
                                            checked=false
                                            flash=page.flash.clone()
                                        />
                                    }
                                })}
                            <button type="submit">{locale.t("staff.save")}</button>
                        </form>
                    </section>
                }
            },
        )}
    }
}

/// A field's original, and the field in the language being written.
#[component]
fn TranslationPair(
    field: FieldToTranslate,
    language: Locale,
    flash: Option<crate::backoffice::forms::FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let label = format!(
        "{} ({})",
        locale.t(field_label(&field.field)),
        locale.language_name(language)
    );
    let original = if field.rich {
        // Sanitized when it was saved: what is stored is what is rendered.
        view! {
            <div
                class="original"
                lang=field.original.lang.code()
                inner_html=field.original.text.clone()
            ></div>
        }
        .into_any()
    } else {
        view! {
            <div class="original" lang=field.original.lang.code()>
                {field.original.text.clone()}
            </div>
        }
        .into_any()
    };
    let outdated = field.outdated.then(|| {
        view! {
            <p class="outdated" lang=locale.code()>
                {locale.t("staff.translation_outdated")}
            </p>
        }
    });
    let input = if field.rich {
        view! {
            <TextArea
                form=TRANSLATION_FORM
                name=field.field.clone()
                label
                value=field.text.clone()
                flash
                hint=locale.t("staff.rich_hint")
                rows=6
                interface_lang=locale.code()
            />
        }
        .into_any()
    } else {
        view! {
            <TextField
                form=TRANSLATION_FORM
                name=field.field.clone()
                label
                value=field.text.clone()
                flash
                interface_lang=locale.code()
            />
        }
        .into_any()
    };
    view! {
        <div class="translation-pair">
            <div>
                <p class="preview-language">
                    {locale
                        .t("staff.translate_original")
                        .replace("%{language}", &locale.language_name(field.original.lang))}
                </p>
                {original}
            </div>
            <div lang=language.code()>{outdated}{input}</div>
        </div>
    }
}
