//! `/staff/actions/:slug`: a support action as its municipality's council
//! members run it (edit, threshold, paper batches, export, close) and as
//! they or communications staff record what came of it (delivery,
//! response); and the action's fields, which the person's page also shows
//! to open a new one.
use crate::backoffice::forms::{FormFlash, TextKind};
use crate::backoffice::pages::forms::{
    gate, gated, language_fieldsets, language_previews, CheckField, FlashNotice, LangField,
    LanguageFieldSpec, MissingTranslations, SelectField, StaffNav, TextArea, TextField,
};
use crate::campaigns::actions::{
    SaveSupportAction, SetSupportActionOpen, SupportActionRecord, ACTION_FORM,
};
use crate::campaigns::deliveries::{
    DeliveryForm, DeliveryRecord, RecordDelivery, UndoDelivery, DELIVERY_FORM, UNDO_DAYS,
};
use crate::campaigns::paper::{form_name, PaperBatchRecord, SavePaperBatch};
use crate::campaigns::responses::{RecordResponse, ResponseRecord, RESPONSE_FORM};
use crate::campaigns::workspace::{staff_support_action, SupportActionWorkspace};
use crate::domain::{DeliveryMethod, Permission};
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

/// The fields of a support action, new or edited.
#[component]
pub fn ActionFields(
    action: Option<SupportActionRecord>,
    flash: Option<FormFlash>,
    /// The languages the person's municipalities require.
    required: Vec<Locale>,
) -> impl IntoView {
    let locale = use_locale();
    let f = ACTION_FORM;
    let refused = flash
        .as_ref()
        .and_then(|fl| fl.error(f, "publish"))
        .map(|key| locale.t(key));
    let missing = flash
        .as_ref()
        .filter(|fl| fl.form == f)
        .map(|fl| fl.missing.clone())
        .unwrap_or_default();
    let texts = language_fieldsets(f, &ACTION_TEXTS, action.as_ref(), &required, &flash);
    let a = action.clone().unwrap_or_default();
    let goal = if a.goal > 0 {
        a.goal.to_string()
    } else {
        String::new()
    };
    view! {
        {texts}
        <TextField
            form=f
            name="goal"
            label=locale.t("staff.goal")
            value=goal
            flash=flash.clone()
            kind="number"
            required=true
        />
        <TextField
            form=f
            name="threshold"
            label=locale.t("staff.threshold")
            value=a.threshold.map(|t| t.to_string()).unwrap_or_default()
            flash=flash.clone()
            kind="number"
            hint=locale.t("staff.threshold_hint")
        />
        <TextField
            form=f
            name="opens_on"
            label=locale.t("staff.opens_on")
            value=a.opens_on.clone()
            flash=flash.clone()
            kind="date"
            hint=locale.t("staff.full_date_hint")
            required=true
        />
        <TextField
            form=f
            name="closes_on"
            label=locale.t("staff.closes_on")
            value=a.closes_on.clone().unwrap_or_default()
            flash=flash.clone()
            kind="date"
            hint=locale.t("staff.full_date_hint")
        />
        {refused
            .map(|text| {
                view! {
                    <p class="field-error" role="alert" id="publish-refused">
                        {text}
                    </p>
                    <MissingTranslations missing=missing />
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

/// When, to whom and how the action's signatures were handed over, and the
/// form that records it (or, once recorded, corrects it).
#[component]
fn DeliverySection(
    slug: String,
    delivery: Option<DeliveryRecord>,
    can_edit: bool,
    /// An administrator may undo it (`UNDO_DAYS`).
    may_undo: bool,
    /// The language the form proposes for the recipient and note.
    language: Locale,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let f = DELIVERY_FORM;
    let recorded = delivery.as_ref().map(|d| {
        let method = DeliveryMethod::parse(&d.method)
            .map(|m| locale.t(&m.label_key()))
            .unwrap_or_default();
        view! {
            <dl class="delivery-record">
                <dt>{locale.t("delivery.delivered_on")}</dt>
                <dd>{d.delivered_on.clone()}</dd>
                <dt>{locale.t("delivery.recipient")}</dt>
                <dd>{d.recipient.clone()}</dd>
                <dt>{locale.t("delivery.method")}</dt>
                <dd>{method}</dd>
                <dt>{locale.t("delivery.signatures")}</dt>
                <dd class="delivered-count">
                    {locale.number(d.signatures + d.paper_signatures)}
                    {locale
                        .count_breakdown(d.signatures, d.paper_signatures)
                        .map(|text| format!(" ({text})"))}
                </dd>
                {d
                    .proof_url
                    .clone()
                    .map(|url| {
                        let href = url.clone();
                        view! {
                            <dt>{locale.t("delivery.proof")}</dt>
                            <dd>
                                <a href=href rel="noopener noreferrer">
                                    {url}
                                </a>
                            </dd>
                        }
                    })}
            </dl>
            {d
                .note_html
                .clone()
                .map(|html| view! { <div class="delivery-note" inner_html=html></div> })}
        }
    });
    let values = delivery
        .as_ref()
        .map(DeliveryRecord::form_values)
        .unwrap_or_else(|| DeliveryForm {
            language: language.code().to_owned(),
            ..DeliveryForm::default()
        });
    let methods: Vec<(String, String)> = std::iter::once((String::new(), String::new()))
        .chain(
            DeliveryMethod::ALL
                .into_iter()
                .map(|m| (m.slug().to_owned(), locale.t(&m.label_key()))),
        )
        .collect();
    let languages = locale.language_choices();
    let correcting = delivery.is_some();
    let opened = !correcting || FormFlash::refused(&flash, DELIVERY_FORM);
    let form = can_edit.then(|| {
        let fields = view! {
            <form
                method="post"
                action={<RecordDelivery as ServerFn>::PATH}
                class="staff-form delivery-form"
            >
                <LangField />
                <input type="hidden" name="action" value=slug.clone() />
                <TextField
                    form=f
                    name="delivered_on"
                    label=locale.t("delivery.delivered_on")
                    value=values.delivered_on.clone()
                    flash=flash.clone()
                    kind="date"
                    hint=locale.t("staff.full_date_hint")
                    required=true
                />
                <TextField
                    form=f
                    name="recipient"
                    label=locale.t("delivery.recipient")
                    value=values.recipient.clone()
                    flash=flash.clone()
                    hint=locale.t("delivery.recipient_hint")
                    required=true
                />
                <SelectField
                    form=f
                    name="method"
                    label=locale.t("delivery.method")
                    value=values.method.clone()
                    flash=flash.clone()
                    options=methods
                    required=true
                />
                <SelectField
                    form=f
                    name="language"
                    label=locale.t("delivery.language")
                    value=values.language.clone()
                    flash=flash.clone()
                    options=languages
                    required=true
                />
                <TextArea
                    form=f
                    name="note_html"
                    label=locale.t("delivery.note")
                    value=values.note_html.clone()
                    flash=flash.clone()
                    hint=locale.t("delivery.note_hint")
                    rows=3
                />
                <TextField
                    form=f
                    name="proof_url"
                    label=locale.t("delivery.proof")
                    value=values.proof_url.clone()
                    flash=flash.clone()
                    kind="url"
                    hint=locale.t("delivery.proof_hint")
                />
                <TextField
                    form=f
                    name="answer_by"
                    label=locale.t("delivery.answer_by")
                    value=values.answer_by.clone()
                    flash=flash.clone()
                    kind="date"
                    hint=locale.t("delivery.answer_by_hint")
                />
                {flash
                    .as_ref()
                    .and_then(|flash| flash.error(DELIVERY_FORM, "confirm_empty"))
                    .map(|problem| {
                        view! {
                            <p class="field-error" role="alert" id="delivery-confirm_empty-error">
                                {locale.t(problem)}
                            </p>
                            <CheckField
                                form=f
                                name="confirm_empty"
                                label=locale.t("delivery.confirm_empty")
                                checked=false
                                flash=None
                            />
                        }
                    })}
                <button type="submit">
                    {locale.t(if correcting { "delivery.correct" } else { "delivery.record" })}
                </button>
            </form>
        };
        match correcting {
            false => view! {
                <p>{locale.t("delivery.intro")}</p>
                {fields}
            }
            .into_any(),
            true => view! {
                <details open=opened>
                    <summary>{locale.t("delivery.correct_heading")}</summary>
                    {fields}
                </details>
            }
            .into_any(),
        }
    });
    let undo = may_undo.then(|| {
        view! {
            <form method="post" action={<UndoDelivery as ServerFn>::PATH} class="undo-delivery">
                <LangField />
                <input type="hidden" name="action" value=slug.clone() />
                <p class="hint">
                    {locale.t("delivery.undo_hint").replace("%{days}", &UNDO_DAYS.to_string())}
                </p>
                <button type="submit" class="secondary">
                    {locale.t("delivery.undo")}
                </button>
            </form>
        }
    });
    view! {
        <section class="delivery" aria-labelledby="delivery-heading">
            <h2 id="delivery-heading">{locale.t("delivery.heading")}</h2>
            {recorded}
            {undo}
            {(delivery.is_none() && !can_edit)
                .then(|| view! { <p>{locale.t("delivery.not_yet")}</p> })}
            {form}
        </section>
    }
}

/// The addressee's response to delivered signatures, and the form that
/// records or corrects it, written per language.
#[component]
fn ResponseSection(
    slug: String,
    response: Option<ResponseRecord>,
    /// The day after which no answer is news, if set with the delivery.
    answer_by: Option<String>,
    can_edit: bool,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let f = RESPONSE_FORM;
    let state = match (&response, &answer_by) {
        (Some(r), _) => format!(
            "{} {} · {}",
            locale.t("response.answered_on"),
            r.responded_on,
            r.summary
        ),
        (None, Some(by)) => format!("{} {by}", locale.t("response.awaited_by")),
        (None, None) => locale.t("response.none_yet"),
    };
    let form = can_edit.then(|| {
        let texts = language_fieldsets(f, &RESPONSE_TEXTS, response.as_ref(), &[], &flash);
        let r = response.clone().unwrap_or_default();
        let correcting = response.is_some();
        view! {
            <details open=!correcting || FormFlash::refused(&flash, RESPONSE_FORM)>
                <summary>
                    {locale
                        .t(
                            if correcting {
                                "response.correct_heading"
                            } else {
                                "response.record_heading"
                            },
                        )}
                </summary>
                <form
                    method="post"
                    action={<RecordResponse as ServerFn>::PATH}
                    class="staff-form response-form"
                >
                    <LangField />
                    <input type="hidden" name="action" value=slug.clone() />
                    <TextField
                        form=f
                        name="responded_on"
                        label=locale.t("response.answered_on")
                        value=r.responded_on.clone()
                        flash=flash.clone()
                        kind="date"
                        hint=locale.t("staff.full_date_hint")
                        required=true
                    />
                    {texts}
                    <TextField
                        form=f
                        name="source_url"
                        label=locale.t("response.source")
                        value=r.source_url.clone().unwrap_or_default()
                        flash=flash.clone()
                        kind="url"
                        hint=locale.t("response.source_hint")
                    />
                    <button type="submit">
                        {locale.t(if correcting { "delivery.correct" } else { "response.record" })}
                    </button>
                </form>
            </details>
        }
    });
    view! {
        <section class="response" aria-labelledby="response-heading">
            <h2 id="response-heading">{locale.t("response.heading")}</h2>
            <p class="response-state">{state}</p>
            {form}
        </section>
    }
}

/// A response's summary and full text, written per language.
const RESPONSE_TEXTS: [LanguageFieldSpec; 2] = [
    LanguageFieldSpec {
        field: "summary",
        label: "response.summary",
        kind: TextKind::Line,
    },
    LanguageFieldSpec {
        field: "body_html",
        label: "response.text",
        kind: TextKind::Rich,
    },
];

/// The action's threshold and when the count reached it.
#[component]
fn ThresholdState(threshold: Option<i64>, reached_at: Option<i64>) -> impl IntoView {
    let locale = use_locale();
    let threshold = threshold?;
    // Staff pages render on the server only, where the clock's types are.
    #[cfg(feature = "ssr")]
    let reached = reached_at
        .and_then(|at| chrono::DateTime::from_timestamp(at, 0))
        .map(|at| {
            locale
                .t("staff.threshold_reached")
                .replace(
                    "%{date}",
                    &crate::server::clock::date(at.date_naive()).format(locale),
                )
                .replace("%{time}", &at.format("%H:%M UTC").to_string())
        });
    #[cfg(not(feature = "ssr"))]
    let reached = reached_at.map(|_| String::new());
    let state = reached.unwrap_or_else(|| locale.t("staff.threshold_not_reached"));
    Some(view! {
        <p class="threshold-state">
            {locale.t("staff.threshold")} ": " {locale.number(threshold)} " · " {state}
        </p>
    })
}

/// Signatures collected on paper: the batches recorded, each correctable
/// and removable, and the form that records a new one.
#[component]
fn PaperSection(
    slug: String,
    batches: Vec<PaperBatchRecord>,
    /// Confirmed online signatures.
    online: i64,
    can_edit: bool,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let paper: i64 = batches.iter().map(|b| b.signatures).sum();
    let any = !batches.is_empty();
    let totals = locale
        .t("paper.totals")
        .replace("%{online}", &locale.number(online))
        .replace("%{paper}", &locale.number(paper))
        .replace("%{total}", &locale.number(online + paper));
    let fields = move |name: String, values: PaperBatchRecord, flash: Option<FormFlash>| {
        let count = if values.signatures > 0 {
            values.signatures.to_string()
        } else {
            String::new()
        };
        view! {
            <TextField
                form=name.clone()
                name="signatures"
                label=locale.t("paper.signatures")
                value=count
                flash=flash.clone()
                kind="number"
                required=true
            />
            <TextField
                form=name.clone()
                name="collected_on"
                label=locale.t("paper.collected_on")
                value=values.collected_on
                flash=flash.clone()
                kind="date"
                hint=locale.t("staff.full_date_hint")
                required=true
            />
            <TextField
                form=name.clone()
                name="place"
                label=locale.t("paper.place")
                value=values.place
                flash=flash.clone()
                hint=locale.t("paper.place_hint")
                required=true
            />
            <TextField
                form=name
                name="kept_at"
                label=locale.t("paper.kept_at")
                value=values.kept_at
                flash=flash
                hint=locale.t("paper.kept_at_hint")
                required=true
            />
        }
    };
    let rows =
        batches
            .into_iter()
            .map(|batch| {
                let name = form_name(Some(batch.id));
                let open = FormFlash::refused(&flash, &name);
                let id = batch.id.to_string();
                let editing = can_edit.then(|| view! {
                    <td>
                        <details open=open>
                            <summary>{locale.t("paper.correct")}</summary>
                            <form
                                method="post"
                                action={<SavePaperBatch as ServerFn>::PATH}
                                class="staff-form"
                            >
                                <LangField />
                                <input type="hidden" name="action" value=slug.clone() />
                                <input type="hidden" name="batch" value=id.clone() />
                                {fields(name.clone(), batch.clone(), flash.clone())}
                                <button type="submit">{locale.t("paper.save_correction")}</button>
                            </form>
                        </details>
                        <form
                            method="post"
                            action={<SavePaperBatch as ServerFn>::PATH}
                            class="inline-form"
                        >
                            <LangField />
                            <input type="hidden" name="action" value=slug.clone() />
                            <input type="hidden" name="batch" value=id />
                            <button type="submit" name="remove" value="1" class="secondary">
                                {locale.t("paper.remove")}
                            </button>
                        </form>
                    </td>
                });
                view! {
                    <tr>
                        <td>{batch.collected_on.clone()}</td>
                        <td class="paper-count">{locale.number(batch.signatures)}</td>
                        <td>{batch.place.clone()}</td>
                        <td>{batch.kept_at.clone()}</td>
                        {editing}
                    </tr>
                }
            })
            .collect_view();
    let new_form = can_edit.then(|| {
        view! {
            <h3>{locale.t("paper.record_heading")}</h3>
            <form
                method="post"
                action={<SavePaperBatch as ServerFn>::PATH}
                class="staff-form paper-form"
            >
                <LangField />
                <input type="hidden" name="action" value=slug.clone() />
                {fields(form_name(None), PaperBatchRecord::default(), flash.clone())}
                <button type="submit">{locale.t("paper.record")}</button>
            </form>
        }
    });
    view! {
        <section class="paper" aria-labelledby="paper-heading">
            <h2 id="paper-heading">{locale.t("paper.heading")}</h2>
            <p class="paper-totals">{totals}</p>
            <p>{locale.t("paper.no_names")}</p>
            {any
                .then(|| {
                    view! {
                        <table class="paper-batches">
                            <thead>
                                <tr>
                                    <th scope="col">{locale.t("paper.collected_on")}</th>
                                    <th scope="col">{locale.t("paper.signatures")}</th>
                                    <th scope="col">{locale.t("paper.place")}</th>
                                    <th scope="col">{locale.t("paper.kept_at")}</th>
                                    {can_edit
                                        .then(|| {
                                            view! { <th scope="col">{locale.t("paper.change")}</th> }
                                        })}
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }
                })}
            {new_form}
        </section>
    }
}

/// A support action's title, text and addressee, written per language.
const ACTION_TEXTS: [LanguageFieldSpec; 3] = [
    LanguageFieldSpec {
        field: "title",
        label: "staff.action_title",
        kind: TextKind::Line,
    },
    LanguageFieldSpec {
        field: "body_html",
        label: "staff.action_body",
        kind: TextKind::Rich,
    },
    LanguageFieldSpec {
        field: "addressee",
        label: "staff.addressee",
        kind: TextKind::Line,
    },
];

/// The HTML a city pastes into its own website: the embed (an iframe, in
/// the staff page's language) and the badge (an image of the live count).
#[component]
fn EmbedSnippets(slug: String, title: String) -> impl IntoView {
    use crate::components::full_address;
    use crate::text::escape_markup as escape;
    let locale = use_locale();
    let embed = full_address(&locale.path(&format!("/actions/{slug}/embed"), false));
    let page = full_address(&locale.path(&format!("/actions/{slug}"), false));
    let badge = full_address(&format!("/actions/{slug}/badge.svg?lang={}", locale.code()));
    let frame = format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"230\" style=\"border:0\" loading=\"lazy\"></iframe>",
        escape(&embed),
        escape(&title)
    );
    let image = format!(
        "<a href=\"{}\"><img src=\"{}\" alt=\"{}\" height=\"20\"></a>",
        escape(&page),
        escape(&badge),
        escape(
            &locale
                .t("staff.embed_badge_alt")
                .replace("%{title}", &title)
        )
    );
    view! {
        <section class="embed-snippets" aria-labelledby="embed-heading">
            <h2 id="embed-heading">{locale.t("staff.embed_heading")}</h2>
            <p>{locale.t("staff.embed_intro")}</p>
            <label for="embed-frame">{locale.t("staff.embed_frame")}</label>
            <textarea id="embed-frame" readonly rows="3">
                {frame}
            </textarea>
            <label for="embed-badge">{locale.t("staff.embed_badge")}</label>
            <textarea id="embed-badge" readonly rows="3">
                {image}
            </textarea>
        </section>
    }
}

#[component]
pub fn StaffActionPage(slug: String) -> impl IntoView {
    crate::backoffice::pages::private_page();
    let locale = use_locale();
    let data = Resource::new(
        move || slug.clone(),
        move |slug| gate(Permission::ReadActions, staff_support_action(slug)),
    );
    view! {
        <Meta name="robots" content="noindex" />
        {gated(
            data,
            move |page: SupportActionWorkspace| {
                let a = page.action.clone();
                let flash = page.flash.clone();
                view! {
                    <Title text=a.title.clone() />
                    <StaffNav user=page.user.clone() />
                    <section class="staff-page">
                        <h1>{a.title.clone()}</h1>
                        <FlashNotice flash=flash.clone() />
                        <p>
                            <a href=locale
                                .path(
                                    &format!("/staff/persons/{}", a.person),
                                    false,
                                )>
                                {locale
                                    .t("staff.back_to_person")
                                    .replace("%{person}", &page.person_name)}
                            </a>
                            " · "
                            <a href=locale
                                .path(
                                    &format!("/actions/{}", a.slug),
                                    false,
                                )>{locale.t("staff.view_public")}</a>
                        </p>
                        <p>
                            {locale
                                .t(
                                    match (&page.delivery, a.is_open) {
                                        (Some(_), _) => "staff.delivered",
                                        (None, true) => "staff.open",
                                        (None, false) => "staff.closed",
                                    },
                                )} " · " {locale.t("staff.confirmed")} ": "
                            <strong class="confirmed-count">{page.confirmed}</strong>
                        </p>
                        <ThresholdState threshold=a.threshold reached_at=a.threshold_reached_at />
                        <h2>{locale.t("staff.preview")}</h2>
                        {language_previews(&ACTION_TEXTS, &a)}
                        <EmbedSnippets slug=a.slug.clone() title=a.title.clone() />
                        <PaperSection
                            slug=a.slug.clone()
                            batches=page.paper_batches.clone()
                            online=page.confirmed
                            can_edit={page.can_edit && page.delivery.is_none()}
                            flash=flash.clone()
                        />
                        {page
                            .delivery
                            .as_ref()
                            .map(|d| {
                                view! {
                                    <ResponseSection
                                        slug=a.slug.clone()
                                        response=page.response.clone()
                                        answer_by=d.answer_by.clone()
                                        can_edit=page.can_edit
                                        flash=flash.clone()
                                    />
                                }
                            })}
                        <DeliverySection
                            slug=a.slug.clone()
                            delivery=page.delivery.clone()
                            can_edit=page.can_edit
                            may_undo=page.may_undo_delivery
                            language=a.original_language
                            flash=flash.clone()
                        />
                        {page
                            .can_edit
                            .then(|| {
                                view! {
                                    <form
                                        method="post"
                                        action=format!("/staff/actions/{}/signatures.csv", a.slug)
                                        class="export-form"
                                    >
                                        <button type="submit">
                                            {locale.t("staff.export_csv")}
                                        </button>
                                    </form>
                                    {page
                                        .delivery
                                        .is_none()
                                        .then(|| {
                                            view! {
                                                <form
                                                    method="post"
                                                    action={<SetSupportActionOpen as ServerFn>::PATH}
                                                    class="inline-form"
                                                >
                                                    <LangField />
                                                    <input type="hidden" name="action" value=a.slug.clone() />
                                                    <input
                                                        type="hidden"
                                                        name="open"
                                                        value=if a.is_open { "" } else { "true" }
                                                    />
                                                    <button type="submit">
                                                        {locale
                                                            .t(
                                                                if a.is_open {
                                                                    "staff.close_action"
                                                                } else {
                                                                    "staff.reopen_action"
                                                                },
                                                            )}
                                                    </button>
                                                </form>
                                            }
                                        })}
                                    <h2>{locale.t("staff.edit_action")}</h2>
                                    <form
                                        method="post"
                                        action={<SaveSupportAction as ServerFn>::PATH}
                                        class="staff-form"
                                    >
                                        <LangField />
                                        <input type="hidden" name="person" value=a.person.clone() />
                                        <input type="hidden" name="action" value=a.slug.clone() />
                                        <ActionFields
                                            action=Some(a.clone())
                                            flash=flash.clone()
                                            required=page.required_languages.clone()
                                        />
                                        <button type="submit">{locale.t("staff.save")}</button>
                                    </form>
                                }
                            })}
                    </section>
                }
            },
        )}
    }
}
