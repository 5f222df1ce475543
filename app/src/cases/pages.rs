//! `/staff/persons`, `/staff/persons/:slug` and `/staff/requests`: the
//! cases as council members and communications staff work on them, and the
//! adoption requests an administrator decides.
use crate::api::portraits::PortraitView;
use crate::api::{AdoptionView, RightsCategoryInfo};
use crate::backoffice::forms::{FormFlash, TextKind};
use crate::backoffice::pages::forms::{
    gate, gated, language_fieldsets, language_previews, CheckField, CheckboxGroup, FlashNotice,
    LangField, LanguageFieldSpec, MissingTranslations, SelectField, StaffNav, TextArea, TextField,
};
use crate::campaigns::actions::{SaveSupportAction, ACTION_FORM};
use crate::campaigns::pages::ActionFields;
use crate::cases::adoptions::{SaveAdoption, ADOPTION_FORM};
use crate::cases::consent::{ConsentView, SaveConsent, CONSENT_FORM};
use crate::cases::persons::{AdoptPerson, PersonRecord, UpdatePerson, PERSON_FORM};
use crate::cases::portraits::{RemovePortrait, StaffPortrait, UploadPortrait, PORTRAIT_FORM};
use crate::cases::takedown::{TakeDown, TakeDownView, UndoTakeDown, TAKE_DOWN_FORM};
use crate::cases::workspace::{staff_person, staff_persons, PersonWorkspace, PersonsWorkspace};
use crate::components::person::Portrait;
use crate::domain::{ConsentGiver, CountryCode, Covered, Permission, RiskLevel, Translatable};
use crate::i18n::{use_locale, LangText, Locale};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

fn status_label(locale: Locale, status: Option<crate::domain::Status>) -> String {
    status.map(|s| locale.t(&s.label_key())).unwrap_or_default()
}

#[component]
pub fn StaffPersonsPage() -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let title = locale.t("staff.cases_title");
    let data = Resource::new(
        || (),
        move |_| {
            gate(Permission::ReadCases, async move {
                staff_persons(locale.code().to_owned()).await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: PersonsWorkspace| {
                let council = Permission::ManageCases.allows(page.user.role);
                let municipality = page
                    .user
                    .municipality
                    .as_ref()
                    .map(|m| m.name.text.clone())
                    .unwrap_or_default();
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <FlashNotice flash=page.flash.clone() />
                        <table class="staff-table">
                            <thead>
                                <tr>
                                    <th scope="col">{locale.t("staff.col_name")}</th>
                                    <th scope="col">{locale.t("staff.col_state")}</th>
                                    <th scope="col">{locale.t("staff.col_status")}</th>
                                    <th scope="col">{locale.t("staff.col_municipalities")}</th>
                                    <th scope="col">{locale.t("staff.col_consent")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {page
                                    .persons
                                    .iter()
                                    .map(|p| {
                                        view! {
                                            <tr>
                                                <td>
                                                    <a href=locale
                                                        .path(
                                                            &format!("/staff/persons/{}", p.slug),
                                                            false,
                                                        )>{p.full_name.clone()}</a>
                                                </td>
                                                <td>
                                                    {locale
                                                        .t(
                                                            if p.is_public { "staff.public" } else { "staff.draft" },
                                                        )}
                                                </td>
                                                <td>{status_label(locale, p.current_status)}</td>
                                                <td>{p.municipalities.join(", ")}</td>
                                                <td class:task=p
                                                    .review
                                                    .is_task()>{locale.t(p.review.label_key())}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                        {council
                            .then(|| {
                                view! {
                                    <h2 id="adopt">{locale.t("staff.adopt_title")}</h2>
                                    <form
                                        method="post"
                                        action={<AdoptPerson as ServerFn>::PATH}
                                        class="staff-form"
                                    >
                                        <LangField />
                                        <PersonFields
                                            record=PersonRecord {
                                                is_public: true,
                                                ..PersonRecord::default()
                                            }
                                            countries=page.countries.clone()
                                            rights=page.rights.clone()
                                            flash=page.flash.clone()
                                            new=true
                                            required=page.required_languages.clone()
                                        />
                                        <fieldset>
                                            <legend>
                                                {locale
                                                    .t("staff.adoption_heading")
                                                    .replace("%{municipality}", &municipality)}
                                            </legend>
                                            <AdoptionFields
                                                adoption=None
                                                flash=page.flash.clone()
                                                form=PERSON_FORM
                                            />
                                        </fieldset>
                                        <button type="submit">
                                            {locale.t("staff.adopt_submit")}
                                        </button>
                                    </form>
                                }
                            })}
                    </section>
                }
            },
        )}
    }
}

/// The fields of a person, for adopting a new one or editing one.
#[component]
fn PersonFields(
    record: PersonRecord,
    countries: Vec<(CountryCode, String)>,
    rights: Vec<RightsCategoryInfo>,
    flash: Option<FormFlash>,
    new: bool,
    /// The languages the person's (or, for a new one, this council's) municipalities require.
    required: Vec<Locale>,
) -> impl IntoView {
    let locale = use_locale();
    let f = PERSON_FORM;
    let refused = flash
        .as_ref()
        .and_then(|fl| fl.error(f, "publish"))
        .map(|key| locale.t(key));
    // Refused: what was typed lacks; else what the stored person lacks.
    let missing = match flash
        .as_ref()
        .filter(|fl| fl.form == f && !fl.missing.is_empty())
    {
        Some(fl) => fl.missing.clone(),
        None if new || record.is_public => Vec::new(),
        None => record.missing_translations(&required),
    };
    let texts = language_fieldsets(
        f,
        &PERSON_TEXTS,
        (!new).then_some(&record),
        &required,
        &flash,
    );
    let mut country_options = vec![(String::new(), locale.t("staff.country_none"))];
    country_options.extend(
        countries
            .into_iter()
            .map(|(code, name)| (code.as_str().to_owned(), name)),
    );
    let rights = rights
        .into_iter()
        .map(|r| (r.category.slug().to_owned(), r.name.get(locale).to_owned()))
        .collect();
    view! {
        {(!new).then(|| view! { <input type="hidden" name="person" value=record.slug.clone() /> })}
        <TextField
            form=f
            name="full_name"
            label=locale.t("staff.full_name")
            value=record.full_name.clone()
            flash=flash.clone()
            required=true
        />
        {new
            .then(|| {
                view! {
                    <TextField
                        form=f
                        name="slug"
                        label=locale.t("staff.slug")
                        value=String::new()
                        flash=flash.clone()
                        hint=locale.t("staff.slug_hint")
                    />
                }
            })}
        <TextArea
            form=f
            name="aliases"
            label=locale.t("staff.aliases")
            value=record.aliases.join("\n")
            flash=flash.clone()
            hint=locale.t("staff.aliases_hint")
            rows=3
        />
        <SelectField
            form=f
            name="country"
            label=locale.t("staff.country")
            value=record.country.clone().unwrap_or_default()
            flash=flash.clone()
            options=country_options
        />
        <CheckField
            form=f
            name="country_internal"
            label=locale.t("staff.country_internal")
            checked=record.country_internal
            flash=flash.clone()
        />
        {texts}
        <CheckField
            form=f
            name="summary_internal"
            label=locale.t("staff.summary_internal")
            checked=record.summary_internal
            flash=flash.clone()
        />
        <CheckboxGroup
            form=f
            name="rights"
            id="person-right"
            legend=locale.t("staff.rights")
            options=rights
            checked=record.rights.clone()
            flash=flash.clone()
            class="field-rights"
        />
        <CheckField
            form=f
            name="is_public"
            label=locale.t("staff.is_public")
            checked=record.is_public
            flash=flash.clone()
        />
        <MissingTranslations missing />
        {refused
            .map(|text| {
                view! {
                    <p class="field-error" role="alert" id="publish-refused">
                        {text}
                    </p>
                    <p>
                        <button
                            type="submit"
                            name="translations_to_follow"
                            value="1"
                            class="secondary"
                        >
                            {locale.t("staff.publish_translations_to_follow")}
                        </button>
                    </p>
                }
            })}
    }
}

/// A person's summary, written per language.
const PERSON_TEXTS: [LanguageFieldSpec; 1] = [LanguageFieldSpec {
    field: "summary",
    label: "staff.summary",
    kind: TextKind::Rich,
}];

#[component]
fn AdoptionFields(
    adoption: Option<AdoptionView>,
    flash: Option<FormFlash>,
    form: &'static str,
) -> impl IntoView {
    let locale = use_locale();
    // Only an adoption on record can end: a new one starts lasting. An end
    // refused for want of one is shown, with its message, all the same.
    let end_refused = flash
        .as_ref()
        .is_some_and(|f| f.error(form, "ended_on").is_some());
    let ended_on = match &adoption {
        Some(a) => Some(a.ended_on.map(|d| d.to_string()).unwrap_or_default()),
        None => end_refused.then(String::new),
    };
    let (date, reference, note) = match adoption {
        Some(a) => (
            a.adopted_on.to_string(),
            a.decision_reference.unwrap_or_default(),
            a.note.unwrap_or_default(),
        ),
        None => Default::default(),
    };
    let end_flash = flash.clone();
    view! {
        <TextField
            form=form
            name="adopted_on"
            label=locale.t("staff.adopted_on")
            value=date
            flash=flash.clone()
            hint=locale.t("staff.date_hint")
            required=true
        />
        <TextField
            form=form
            name="decision_reference"
            label=locale.t("staff.decision_reference")
            value=reference
            flash=flash.clone()
        />
        <TextArea
            form=form
            name="note"
            label=locale.t("staff.note")
            value=note
            flash=flash.clone()
            rows=3
        />
        {ended_on
            .map(|ended_on| {
                view! {
                    <TextField
                        form=form
                        name="ended_on"
                        label=locale.t("staff.ended_on")
                        value=ended_on
                        flash=end_flash
                        hint=locale.t("staff.ended_on_hint")
                    />
                }
            })}
    }
}

/// The consent and risk on record, and, for the council holding the case,
/// the form that records them anew.
#[component]
fn ConsentSection(
    consent: Option<ConsentView>,
    person: String,
    may_edit: bool,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let record = match &consent {
        None => view! { <p class="task">{locale.t("consent.missing_long")}</p> }.into_any(),
        Some(c) => {
            let covered: Vec<String> = Covered::ALL
                .into_iter()
                .filter(|fact| c.coverage.covers(*fact))
                .map(|fact| locale.t(&fact.label_key()))
                .collect();
            let covered = if covered.is_empty() {
                locale.t("consent.covers_nothing")
            } else {
                covered.join(", ")
            };
            view! {
                <dl class="consent">
                    <dt>{locale.t("consent.given_by")}</dt>
                    <dd>{locale.t(&c.given_by.label_key())} ", " {c.given_on.format(locale)}</dd>
                    <dt>{locale.t("consent.covers")}</dt>
                    <dd>{covered}</dd>
                    <dt>{locale.t("consent.risk")}</dt>
                    <dd>{locale.t(&c.risk.label_key())}</dd>
                    <dt>{locale.t("consent.review_on")}</dt>
                    <dd class:task=c
                        .review_due>
                        {c.review_on.format(locale)}
                        {c.review_due.then(|| format!(" · {}", locale.t("consent.review_due")))}
                    </dd>
                    {c
                        .note
                        .clone()
                        .map(|note| {
                            view! {
                                <dt>{locale.t("consent.note")}</dt>
                                <dd>{note}</dd>
                            }
                        })}
                </dl>
            }
            .into_any()
        }
    };
    let form = may_edit.then(|| {
        let f = CONSENT_FORM;
        let covered: Vec<String> = consent
            .as_ref()
            .map(|c| {
                Covered::ALL
                    .into_iter()
                    .filter(|fact| c.coverage.covers(*fact))
                    .map(|fact| fact.slug().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let facts = Covered::ALL
            .into_iter()
            .map(|fact| (fact.slug().to_owned(), locale.t(&fact.label_key())))
            .collect();
        let givers = std::iter::once((String::new(), String::new()))
            .chain(
                ConsentGiver::ALL
                    .iter()
                    .map(|g| (g.slug().to_owned(), locale.t(&g.label_key()))),
            )
            .collect();
        let risks = std::iter::once((String::new(), String::new()))
            .chain(
                RiskLevel::ALL
                    .iter()
                    .map(|r| (r.slug().to_owned(), locale.t(&r.label_key()))),
            )
            .collect();
        let value =
            |read: fn(&ConsentView) -> String| consent.as_ref().map(read).unwrap_or_default();
        view! {
            <form method="post" action={<SaveConsent as ServerFn>::PATH} class="staff-form">
                <LangField />
                <input type="hidden" name="person" value=person.clone() />
                <fieldset>
                    <legend>{locale.t("consent.form_legend")}</legend>
                    <p class="hint">{locale.t("consent.form_hint")}</p>
                    <SelectField
                        form=f
                        name="given_by"
                        label=locale.t("consent.given_by")
                        value=value(|c| c.given_by.slug().to_owned())
                        flash=flash.clone()
                        options=givers
                        required=true
                    />
                    <TextField
                        form=f
                        name="given_on"
                        label=locale.t("consent.given_on")
                        value=value(|c| c.given_on.to_string())
                        flash=flash.clone()
                        kind="date"
                        required=true
                    />
                    <CheckboxGroup
                        form=f
                        name="covers"
                        id="consent-covers"
                        legend=locale.t("consent.covers")
                        options=facts
                        checked=covered
                        flash=flash.clone()
                        class="field-covers"
                    />
                    <TextArea
                        form=f
                        name="note"
                        label=locale.t("consent.note")
                        value=value(|c| c.note.clone().unwrap_or_default())
                        flash=flash.clone()
                        rows=3
                    />
                    <SelectField
                        form=f
                        name="risk"
                        label=locale.t("consent.risk")
                        value=value(|c| c.risk.slug().to_owned())
                        flash=flash.clone()
                        options=risks
                        required=true
                    />
                    <TextField
                        form=f
                        name="review_on"
                        label=locale.t("consent.review_on")
                        value=value(|c| c.review_on.to_string())
                        flash=flash.clone()
                        kind="date"
                        required=true
                    />
                </fieldset>
                <button type="submit">{locale.t("staff.save")}</button>
            </form>
        }
    });
    view! {
        <h2 id="consent">{locale.t("consent.heading")}</h2>
        {record}
        {form}
    }
}

/// The portrait: the one on record (whether the public sees it), and, for
/// those who edit the case, the form that uploads one — a plain multipart
/// form, so that it works without JavaScript — and the button that
/// removes it.
#[component]
fn PortraitSection(
    portrait: Option<StaffPortrait>,
    person: String,
    may_edit: bool,
    required: Vec<Locale>,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let f = PORTRAIT_FORM;
    if portrait.is_none() && !may_edit {
        return ().into_any();
    }
    // A new photo keeps the words written for the last one, unless changed.
    let written = portrait.as_ref().map(|p| p.alt.clone()).unwrap_or_default();
    let current = portrait.map(|p| {
        // Shown as the public page shows it.
        let words: Vec<LangText> = p
            .alt
            .iter()
            .map(|(lang, text)| LangText {
                text: text.clone(),
                lang: *lang,
            })
            .collect();
        let image = PortraitView::new(p.files.clone(), &words, locale);
        let remove = may_edit.then(|| {
            view! {
                <form method="post" action={<RemovePortrait as ServerFn>::PATH} class="inline-form">
                    <LangField />
                    <input type="hidden" name="person" value=person.clone() />
                    <button type="submit" class="secondary">
                        {locale.t("staff.portrait_remove")}
                    </button>
                </form>
            }
        });
        view! {
            <figure class="staff-portrait">
                {image.map(|portrait| view! { <Portrait portrait width=128 eager=true /> })}
                <figcaption>
                    <p>{locale.t("staff.portrait_current")}</p>
                    <p class="update-state">
                        {locale
                            .t(
                                if p.shown {
                                    "staff.portrait_shown"
                                } else {
                                    "staff.portrait_not_shown"
                                },
                            )}
                    </p>
                    <dl class="portrait-alt">
                        {p
                            .alt
                            .iter()
                            .map(|(language, text)| {
                                view! {
                                    <dt>{locale.t(&format!("language.{}", language.code()))}</dt>
                                    <dd lang=language.code()>{text.clone()}</dd>
                                }
                            })
                            .collect_view()}
                    </dl>
                </figcaption>
            </figure>
            {remove}
        }
    });
    let form = may_edit.then(|| {
        view! {
            <form
                method="post"
                action={<UploadPortrait as ServerFn>::PATH}
                enctype="multipart/form-data"
                class="staff-form"
            >
                <LangField />
                <input type="hidden" name="person" value=person.clone() />
                <p class="hint">{locale.t("staff.portrait_hint")}</p>
                <TextField
                    form=f
                    name="portrait"
                    label=locale.t("staff.portrait_file")
                    value=String::new()
                    flash=flash.clone()
                    kind="file"
                    accept="image/jpeg,image/png,image/webp"
                    required=true
                />
                {Locale::ALL
                    .into_iter()
                    .map(|language| {
                        let label = locale
                            .t("staff.portrait_alt")
                            .replace(
                                "%{language}",
                                &locale.t(&format!("language.{}", language.code())),
                            );
                        view! {
                            <TextField
                                form=f
                                name=format!("alt_{}", language.code())
                                label=label
                                value=written
                                    .iter()
                                    .find(|(l, _)| *l == language)
                                    .map(|(_, text)| text.clone())
                                    .unwrap_or_default()
                                flash=flash.clone()
                                hint=locale.t("staff.portrait_alt_hint")
                                required=required.contains(&language)
                            />
                        }
                    })
                    .collect_view()}
                <button type="submit">{locale.t("staff.portrait_save")}</button>
            </form>
        }
    });
    view! {
        <h2 id="portrait">{locale.t("staff.portrait_heading")}</h2>
        {current}
        {form}
    }
    .into_any()
}

/// The take-down: on record (with the administrator's undo), or the form
/// that takes the case down, which says what it does and asks to confirm
/// (a box, so that it works without JavaScript).
#[component]
fn TakeDownSection(
    take_down: Option<TakeDownView>,
    person: String,
    may_take_down: bool,
    may_undo: bool,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let f = TAKE_DOWN_FORM;
    let body = match take_down {
        Some(t) => {
            let undo = may_undo.then(|| {
                view! {
                    <form
                        method="post"
                        action={<UndoTakeDown as ServerFn>::PATH}
                        class="staff-form"
                    >
                        <LangField />
                        <input type="hidden" name="person" value=person.clone() />
                        <p class="hint">{locale.t("staff.undo_take_down_hint")}</p>
                        <button type="submit">{locale.t("staff.undo_take_down")}</button>
                    </form>
                }
            });
            view! {
                <p class="take-down-state task">
                    {locale.t("staff.taken_down_on").replace("%{date}", &t.taken_down_on)}
                </p>
                <dl class="take-down">
                    <dt>{locale.t("staff.take_down_reason")}</dt>
                    <dd>{t.reason}</dd>
                </dl>
                {undo}
            }
            .into_any()
        }
        None if may_take_down => view! {
            <form method="post" action={<TakeDown as ServerFn>::PATH} class="staff-form">
                <LangField />
                <input type="hidden" name="person" value=person.clone() />
                <p class="hint">{locale.t("staff.take_down_hint")}</p>
                <TextArea
                    form=f
                    name="reason"
                    label=locale.t("staff.take_down_reason")
                    value=String::new()
                    flash=flash.clone()
                    rows=3
                    required=true
                />
                <CheckField
                    form=f
                    name="confirm"
                    label=locale.t("staff.take_down_confirm")
                    checked=false
                    flash=flash.clone()
                />
                <button type="submit" class="danger">
                    {locale.t("staff.take_down")}
                </button>
            </form>
        }
        .into_any(),
        None => ().into_any(),
    };
    view! {
        <h2 id="take-down">{locale.t("staff.take_down_heading")}</h2>
        {body}
    }
}

#[component]
pub fn StaffPersonPage(slug: String) -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let data = Resource::new(
        move || slug.clone(),
        move |slug| {
            gate(
                Permission::ReadCases,
                staff_person(locale.code().to_owned(), slug),
            )
        },
    );
    view! {
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: PersonWorkspace| {
                view! {
                    <Title text=page.person.full_name.clone() />
                    <StaffNav user=page.user.clone() />
                    <PersonDesk page />
                }
            },
        )}
    }
}

#[component]
fn PersonDesk(page: PersonWorkspace) -> impl IntoView {
    let locale = use_locale();
    let person = page.person.clone();
    let council = Permission::ManageCases.allows(page.user.role);
    let comms = Permission::WriteUpdates.allows(page.user.role);
    let municipality = page
        .user
        .municipality
        .as_ref()
        .map(|m| m.name.text.clone())
        .unwrap_or_default();
    let flash = page.flash.clone();
    view! {
        <section class="staff-page">
            <h1>{person.full_name.clone()}</h1>
            <FlashNotice flash=flash.clone() />
            <p>
                {locale.t(if person.is_public { "staff.public" } else { "staff.draft" })}
                {person
                    .is_public
                    .then(|| {
                        view! {
                            " · "
                            <a href=locale
                                .path(
                                    &format!("/persons/{}", person.slug),
                                    false,
                                )>{locale.t("staff.view_public")}</a>
                        }
                    })}
            </p>
            <p class="followers">
                {locale
                    .t("staff.followers")
                    .replace("%{confirmed}", &locale.number(page.followers.confirmed))
                    .replace("%{pending}", &locale.number(page.followers.pending))}
            </p>
            {person
                .summary_html
                .is_some()
                .then(|| {
                    view! {
                        <h2>{locale.t("staff.preview")}</h2>
                        {person
                            .summary_internal
                            .then(|| {
                                view! {
                                    <p class="update-state">
                                        {locale.t("staff.summary_kept_internal")}
                                    </p>
                                }
                            })}
                        {language_previews(&PERSON_TEXTS, &person)}
                    }
                })}
            <h2>{locale.t("staff.adoptions")}</h2>
            {if page.adoptions.is_empty() {
                view! { <p>{locale.t("staff.no_adoptions")}</p> }.into_any()
            } else {
                view! {
                    <ul class="adoptions">
                        {page
                            .adoptions
                            .iter()
                            .map(|a| {
                                view! {
                                    <li>
                                        {a.municipality.name.text.clone()} ", "
                                        {a.adopted_on.format(locale)}
                                        {a
                                            .ended_on
                                            .map(|end| {
                                                format!(
                                                    " – {} ({})",
                                                    end.format(locale),
                                                    locale.t("staff.adoption_ended"),
                                                )
                                            })}
                                        {a
                                            .decision_reference
                                            .clone()
                                            .map(|r| {
                                                view! {
                                                    " ("
                                                    {r}
                                                    ")"
                                                }
                                            })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {council
                .then(|| {
                    let heading = if page.own_adoption.is_some() {
                        locale.t("staff.adoption_heading").replace("%{municipality}", &municipality)
                    } else {
                        locale.t("staff.adopt_existing").replace("%{municipality}", &municipality)
                    };
                    view! {
                        <form
                            method="post"
                            action={<SaveAdoption as ServerFn>::PATH}
                            class="staff-form"
                            id="adoption"
                        >
                            <LangField />
                            <input type="hidden" name="person" value=person.slug.clone() />
                            <fieldset>
                                <legend>{heading}</legend>
                                <AdoptionFields
                                    adoption=page.own_adoption.clone()
                                    flash=flash.clone()
                                    form=ADOPTION_FORM
                                />
                            </fieldset>
                            <button type="submit">{locale.t("staff.save")}</button>
                        </form>
                    }
                })}
            <PortraitSection
                portrait=page.portrait.clone()
                person=person.slug.clone()
                may_edit=council && page.can_edit && page.take_down.is_none()
                required=page.required_languages.clone()
                flash=flash.clone()
            />
            <ConsentSection
                consent=page.consent.clone()
                person=person.slug.clone()
                may_edit=page.may_record_consent
                flash=flash.clone()
            />
            {(page.may_take_down || page.take_down.is_some())
                .then(|| {
                    view! {
                        <TakeDownSection
                            take_down=page.take_down.clone()
                            person=person.slug.clone()
                            may_take_down=page.may_take_down
                            may_undo=Permission::UndoTakeDowns.allows(page.user.role)
                            flash=flash.clone()
                        />
                    }
                })}
            {(council && page.can_edit)
                .then(|| {
                    view! {
                        <h2 id="edit">{locale.t("staff.edit_person")}</h2>
                        <form
                            method="post"
                            action={<UpdatePerson as ServerFn>::PATH}
                            class="staff-form"
                        >
                            <LangField />
                            <PersonFields
                                record=person.clone()
                                countries=page.countries.clone()
                                rights=page.rights.clone()
                                flash=flash.clone()
                                new=false
                                required=page.required_languages.clone()
                            />
                            <button type="submit">{locale.t("staff.save")}</button>
                        </form>
                    }
                })}
            {(council && !page.can_edit)
                .then(|| {
                    let ended = page.own_adoption.as_ref().is_some_and(|a| a.ended_on.is_some());
                    let why = if ended { "staff.read_only_ended" } else { "staff.read_only" };
                    view! { <p class="hint">{locale.t(why)}</p> }
                })}
            <h2>{locale.t("staff.actions")}</h2>
            {if page.actions.is_empty() {
                view! { <p>{locale.t("staff.no_actions")}</p> }.into_any()
            } else {
                view! {
                    <ul class="staff-actions">
                        {page
                            .actions
                            .iter()
                            .map(|a| {
                                let label = format!(
                                    "{} · {} · {} {}",
                                    a.title,
                                    locale.t(if a.is_open { "staff.open" } else { "staff.closed" }),
                                    a.confirmed,
                                    locale.t("staff.confirmed").to_lowercase(),
                                );
                                let item = if (council && page.can_edit) || comms {
                                    // Communications staff record deliveries and responses.
                                    view! {
                                        <a href=locale
                                            .path(
                                                &format!("/staff/actions/{}", a.slug),
                                                false,
                                            )>{label}</a>
                                    }
                                        .into_any()
                                } else {
                                    view! { <span>{label}</span> }.into_any()
                                };
                                view! { <li>{item}</li> }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {(council && page.can_edit && page.take_down.is_none())
                .then(|| {
                    view! {
                        <h2 id="new-action">{locale.t("staff.new_action")}</h2>
                        <form
                            method="post"
                            action={<SaveSupportAction as ServerFn>::PATH}
                            class="staff-form"
                        >
                            <LangField />
                            <input type="hidden" name="person" value=person.slug.clone() />
                            <input type="hidden" name="action" value="" />
                            <TextField
                                form=ACTION_FORM
                                name="slug"
                                label=locale.t("staff.slug")
                                value=String::new()
                                flash=flash.clone()
                                required=true
                            />
                            <ActionFields
                                action=None
                                flash=flash.clone()
                                required=page.required_languages.clone()
                            />
                            <button type="submit">{locale.t("staff.new_action")}</button>
                        </form>
                    }
                })}
            <h2>{locale.t("staff.updates")}</h2>
            {if page.updates.is_empty() {
                view! { <p>{locale.t("staff.no_updates")}</p> }.into_any()
            } else {
                view! {
                    <ul class="staff-updates">
                        {page
                            .updates
                            .iter()
                            .map(|u| {
                                let state = locale
                                    .t(
                                        if u.is_internal {
                                            "staff.state_internal"
                                        } else if u.is_published {
                                            "staff.state_published"
                                        } else {
                                            "staff.state_draft"
                                        },
                                    );
                                let label = format!(
                                    "{}: {}",
                                    u.occurred_on.format(locale),
                                    u.title,
                                );
                                let item = if comms {
                                    view! {
                                        <a href=locale
                                            .path(
                                                &format!("/staff/updates/{}", u.id),
                                                false,
                                            )>{label}</a>
                                    }
                                        .into_any()
                                } else {
                                    view! { <span>{label}</span> }.into_any()
                                };
                                view! {
                                    <li>
                                        {item} " · " {state}
                                        {u
                                            .from_feed
                                            .then(|| {
                                                view! {
                                                    " · "
                                                    {locale.t("staff.from_feed")}
                                                }
                                            })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            {comms
                .then(|| {
                    view! {
                        <p>
                            <a
                                class="button"
                                href=locale
                                    .path(
                                        &format!("/staff/persons/{}/updates/new", person.slug),
                                        false,
                                    )
                            >
                                {locale.t("staff.new_update")}
                            </a>
                        </p>
                    }
                })}
        </section>
    }
}

/// `/staff/requests`: adoptions of cases another municipality holds, or that
/// are not public, wait here for an administrator to approve or refuse them.
#[component]
pub fn StaffRequestsPage() -> impl IntoView {
    use crate::cases::adoptions::{
        adoption_requests, request_form, DecideAdoption, RequestsWorkspace,
    };
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let title = locale.t("staff.requests_title");
    let data = Resource::new(
        || (),
        move |_| {
            gate(Permission::DecideAdoptions, async move {
                adoption_requests().await.map(Some)
            })
        },
    );
    view! {
        <Title text=title.clone() />
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: RequestsWorkspace| {
                let flash = page.flash.clone();
                view! {
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{title.clone()}</h1>
                        <FlashNotice flash=flash />
                        {page
                            .requests
                            .is_empty()
                            .then(|| view! { <p>{locale.t("staff.no_requests")}</p> })}
                        <ul class="adoption-requests">
                            {page
                                .requests
                                .into_iter()
                                .map(|r| {
                                    let held = if r.adopted_by.is_empty() {
                                        "—".to_owned()
                                    } else {
                                        r.adopted_by.join(", ")
                                    };
                                    let form = request_form(r.id);
                                    let decide = |decision: &'static str, key: &'static str| {
                                        view! {
                                            <form
                                                method="post"
                                                action={<DecideAdoption as ServerFn>::PATH}
                                                class="inline-form"
                                            >
                                                <LangField />
                                                <input
                                                    type="hidden"
                                                    name="request"
                                                    value=r.id.to_string()
                                                />
                                                <input type="hidden" name="decision" value=decision />
                                                <button type="submit">{locale.t(key)}</button>
                                            </form>
                                        }
                                    };
                                    view! {
                                        <li class="adoption-request" id=form>
                                            <h2>
                                                {format!("{} · {}", r.municipality, r.person_name)}
                                            </h2>
                                            <dl>
                                                <dt>{locale.t("staff.request_held_by")}</dt>
                                                <dd>{held}</dd>
                                                <dt>{locale.t("staff.col_state")}</dt>
                                                <dd>
                                                    {locale
                                                        .t(
                                                            if r.person_public { "staff.public" } else { "staff.draft" },
                                                        )}
                                                </dd>
                                                <dt>{locale.t("staff.adopted_on")}</dt>
                                                <dd>{r.adopted_on.format(locale)}</dd>
                                                <dt>{locale.t("staff.decision_reference")}</dt>
                                                <dd>
                                                    {r
                                                        .decision_reference
                                                        .clone()
                                                        .unwrap_or_else(|| "—".into())}
                                                </dd>
                                                <dt>{locale.t("staff.request_by")}</dt>
                                                <dd>
                                                    {format!(
                                                        "{} · {}",
                                                        r.requested_by.clone().unwrap_or_default(),
                                                        r.requested_on,
                                                    )}
                                                </dd>
                                            </dl>
                                            {r
                                                .note
                                                .clone()
                                                .map(|note| view! { <p class="note">{note}</p> })}
                                            {decide("approve", "staff.approve")}
                                            {decide("refuse", "staff.refuse")}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
            },
        )}
    }
}
