//! `/staff/persons/:slug/updates/new` and `/staff/updates/:id`: communications
//! staff write a status update, see it as the public timeline will show it,
//! and publish or unpublish it.
use crate::backoffice::forms::{FormFlash, TextKind};
use crate::backoffice::pages::forms::{
    gate, gated, language_fieldsets, CheckField, FlashNotice, LangField, LanguageFieldSpec,
    MissingTranslations, SelectField, StaffNav, TextField,
};
use crate::domain::{Permission, Status, StatusEventRecord, Translatable};
use crate::i18n::{use_locale, Locale};
use crate::publishing::updates::{
    new_status_update, staff_status_update, NewUpdateWorkspace, PublishStatusUpdate,
    SaveStatusUpdate, StatusUpdateWorkspace, UnpublishStatusUpdate, UPDATE_FORM,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

/// The title, text and source name of an update, written per language.
const UPDATE_TEXTS: [LanguageFieldSpec; 3] = [
    LanguageFieldSpec {
        field: "title",
        label: "staff.update_title",
        kind: TextKind::Line,
    },
    LanguageFieldSpec {
        field: "body_html",
        label: "staff.body",
        kind: TextKind::Rich,
    },
    LanguageFieldSpec {
        field: "source_title",
        label: "staff.source_title",
        kind: TextKind::Line,
    },
];

/// The update's fields: the date, status and source link once, and the
/// title, text and source name in each language, one fieldset per language
/// (all on the page: it works without JavaScript). The original language is
/// chosen; the languages the person's municipalities require are marked.
#[component]
fn UpdateFields(
    person: String,
    record: Option<StatusEventRecord>,
    required: Vec<Locale>,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let f = UPDATE_FORM;
    let mut statuses = vec![(String::new(), locale.t("staff.status_none"))];
    statuses.extend(
        Status::ALL
            .iter()
            .map(|s| (s.slug().to_owned(), locale.t(&s.label_key()))),
    );
    let (id, date, status, source_url) = match &record {
        Some(r) => (
            r.id.to_string(),
            r.occurred_on.to_string(),
            r.status.map(|s| s.slug().to_owned()).unwrap_or_default(),
            r.source_url.clone().unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let internal = record.as_ref().is_some_and(|r| r.is_internal);
    view! {
        <LangField />
        <input type="hidden" name="update" value=id />
        <input type="hidden" name="person" value=person />
        <TextField
            form=f
            name="occurred_on"
            label=locale.t("staff.occurred_on")
            value=date
            flash=flash.clone()
            hint=locale.t("staff.date_hint")
            required=true
        />
        <SelectField
            form=f
            name="status"
            label=locale.t("staff.status")
            value=status
            flash=flash.clone()
            options=statuses
        />
        <TextField
            form=f
            name="source_url"
            label=locale.t("staff.source_url")
            value=source_url
            flash=flash.clone()
            kind="url"
        />
        <CheckField
            form=f
            name="internal"
            label=locale.t("staff.internal_update")
            checked=internal
            flash=flash.clone()
        />
        {language_fieldsets(f, &UPDATE_TEXTS, record.as_ref(), &required, &flash)}
    }
}

#[component]
pub fn StaffNewUpdatePage(slug: String) -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let data = Resource::new(
        move || slug.clone(),
        move |slug| gate(Permission::WriteUpdates, new_status_update(slug)),
    );
    let title = locale.t("staff.new_update");
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: NewUpdateWorkspace| {
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <p>
                            <a href=locale
                                .path(
                                    &format!("/staff/persons/{}", page.person),
                                    false,
                                )>
                                {locale
                                    .t("staff.back_to_person")
                                    .replace("%{person}", &page.person_name)}
                            </a>
                        </p>
                        <FlashNotice flash=page.flash.clone() />
                        <form
                            method="post"
                            action={<SaveStatusUpdate as ServerFn>::PATH}
                            class="staff-form"
                        >
                            <UpdateFields
                                person=page.person.clone()
                                record=None
                                required=page.required_languages.clone()
                                flash=page.flash.clone()
                            />
                            <button type="submit">{locale.t("staff.save")}</button>
                        </form>
                    </section>
                }
            },
        )}
    }
}

#[component]
pub fn StaffUpdatePage(id: String) -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let data = Resource::new(
        move || id.clone(),
        move |id| {
            gate(Permission::WriteUpdates, async move {
                match id.parse::<i64>() {
                    Ok(id) => staff_status_update(id).await,
                    Err(_) => Ok(None),
                }
            })
        },
    );
    view! {
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: StatusUpdateWorkspace| {
                let u = page.update.clone();
                let flash = page.flash.clone();
                let missing = u.missing_translations(&page.required_languages);
                let refused = flash
                    .as_ref()
                    .and_then(|f| f.error(UPDATE_FORM, "publish"))
                    .map(|key| {
                        // Why a publication was refused: an internal update, or missing translations.
                        view! {
                            <p class="field-error" role="alert" id="publish-refused">
                                {locale.t(key)}
                            </p>
                        }
                    });
                let publication = if u.is_internal {
                    refused.into_any()
                } else if u.is_published {
                    view! {
                        <form
                            method="post"
                            action={<UnpublishStatusUpdate as ServerFn>::PATH}
                            class="inline-form"
                        >
                            <LangField />
                            <input type="hidden" name="update" value=u.id.to_string() />
                            <button type="submit">{locale.t("staff.unpublish")}</button>
                        </form>
                    }
                        .into_any()
                } else {
                    let waiting = !missing.is_empty();
                    view! {
                        {refused}
                        <MissingTranslations missing=missing.clone() />
                        <form
                            method="post"
                            action={<PublishStatusUpdate as ServerFn>::PATH}
                            class="inline-form"
                        >
                            <LangField />
                            <input type="hidden" name="update" value=u.id.to_string() />
                            <button type="submit">{locale.t("staff.publish")}</button>
                            {waiting
                                .then(|| {
                                    view! {
                                        " "
                                        <button
                                            type="submit"
                                            name="translations_to_follow"
                                            value="1"
                                            class="secondary"
                                        >
                                            {locale.t("staff.publish_translations_to_follow")}
                                        </button>
                                    }
                                })}
                        </form>
                    }
                        .into_any()
                };
                let preview = Locale::ALL
                    .into_iter()
                    .filter(|l| u.text_in("title", *l).is_some())
                    .map(|language| {
                        let text = |field: &str| u.text_in(field, language).map(str::to_owned);
                        view! {
                            <article class="timeline-entry preview" lang=language.code()>
                                <p class="preview-language" lang=locale.code()>
                                    {locale.language_name(language)}
                                </p>
                                <p class="timeline-date">{u.occurred_on.format(language)}</p>
                                {u
                                    .status
                                    .map(|s| {
                                        view! {
                                            <p class="status-badge">{language.t(&s.label_key())}</p>
                                        }
                                    })}
                                <h3>{text("title")}</h3>
                                // Sanitized when it was saved: what is stored is what is rendered.
                                {text("body_html")
                                    .map(|html| {
                                        view! { <div class="timeline-body" inner_html=html></div> }
                                    })}
                                {u
                                    .source_url
                                    .clone()
                                    .map(|url| {
                                        let label = text("source_title")
                                            .unwrap_or_else(|| url.clone());
                                        view! {
                                            <p class="timeline-source">
                                                <a href=url rel="noopener noreferrer">
                                                    {label}
                                                </a>
                                            </p>
                                        }
                                    })}
                            </article>
                        }
                    })
                    .collect_view();
                view! {
                    <Title text=u.title.clone() />
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{u.title.clone()}</h1>
                        <p>
                            <a href=locale
                                .path(
                                    &format!("/staff/persons/{}", u.person),
                                    false,
                                )>
                                {locale
                                    .t("staff.back_to_person")
                                    .replace("%{person}", &page.person_name)}
                            </a>
                        </p>
                        <FlashNotice flash=flash.clone() />
                        <p class="update-state">
                            <strong>
                                {locale
                                    .t(
                                        if u.is_internal {
                                            "staff.state_internal"
                                        } else if u.is_published {
                                            "staff.state_published"
                                        } else {
                                            "staff.state_draft"
                                        },
                                    )}
                            </strong>
                        </p>
                        {publication}
                        <h2>{locale.t("staff.preview")}</h2>
                        {preview}
                        <h2>{locale.t("staff.edit_update")}</h2>
                        <form
                            method="post"
                            action={<SaveStatusUpdate as ServerFn>::PATH}
                            class="staff-form"
                        >
                            <UpdateFields
                                person=u.person.clone()
                                record=Some(u.clone())
                                required=page.required_languages.clone()
                                flash=flash.clone()
                            />
                            <button type="submit">{locale.t("staff.save")}</button>
                        </form>
                    </section>
                }
            },
        )}
    }
}
