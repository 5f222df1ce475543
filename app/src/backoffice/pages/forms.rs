//! What every staff page shares: the gate (anonymous → login page, wrong role
//! → 403, unknown record → 404), the staff menu, the notice of what was just
//! done, and form fields that show again what was typed with the problem
//! next to the field. Staff forms are plain HTML forms posting to server
//! functions: they work the same with JavaScript off and on.
use crate::backoffice::forms::{checked_field, language_field, FormFlash, TextKind};
use crate::backoffice::session::current_staff_user;
use crate::backoffice::StaffUser;
use crate::components::described_by;
use crate::domain::{MissingTranslation, Permission, Translatable};
use crate::error::AppError;
use crate::i18n::{use_locale, Locale};
use crate::pages::errors::InternalError;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// What a staff page may show.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Gate<T> {
    Anonymous,
    /// The account needs a second factor and has none yet: its own account
    /// page, where one is set up, is the only one that opens.
    SecondFactorFirst,
    Forbidden,
    Missing,
    Failed(AppError),
    Ready(T),
}

/// Loads a staff page's data for a user whose role the policy allows `permission`.
pub async fn gate<T, F>(permission: Permission, load: F) -> Gate<T>
where
    F: std::future::Future<Output = Result<Option<T>, AppError>>,
{
    let user = match current_staff_user().await {
        Ok(Some(user)) => user,
        Ok(None) => return Gate::Anonymous,
        Err(error) => return Gate::Failed(error),
    };
    if !permission.allows(user.role) {
        set_status(http::StatusCode::FORBIDDEN);
        return Gate::Forbidden;
    }
    if user.second_factor == crate::backoffice::SecondFactor::Missing
        && permission != Permission::ChangeOwnPassword
    {
        return Gate::SecondFactorFirst;
    }
    match load.await {
        Ok(Some(data)) => Gate::Ready(data),
        Ok(None) => {
            set_status(http::StatusCode::NOT_FOUND);
            Gate::Missing
        }
        // The role may, this record may not (another city's, a language not
        // one's own): the same answer as for the role.
        Err(AppError::Forbidden(_)) => {
            set_status(http::StatusCode::FORBIDDEN);
            Gate::Forbidden
        }
        Err(error) => Gate::Failed(error),
    }
}

fn set_status(status: http::StatusCode) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// Renders a gated staff page.
pub fn gated<T, R, V>(data: Resource<Gate<T>>, render: R) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let locale = use_locale();
    view! {
        <Suspense>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match data.await {
                        Gate::Ready(data) => render(data).into_any(),
                        Gate::Anonymous => {
                            super::to_login(locale);
                            view! { <p>{locale.t("staff.login_needed")}</p> }.into_any()
                        }
                        Gate::SecondFactorFirst => {
                            let account = locale.path("/staff/account#second-factor", false);
                            #[cfg(feature = "ssr")] leptos_axum::redirect(&account);
                            view! {
                                <p class="form-problem" role="alert">
                                    {locale.t("staff.second_factor_first")}
                                    " "
                                    <a href=account>{locale.t("staff.account_title")}</a>
                                </p>
                            }
                                .into_any()
                        }
                        Gate::Forbidden => {
                            view! {
                                <p class="form-problem" role="alert">
                                    {locale.t("staff.forbidden")}
                                </p>
                            }
                                .into_any()
                        }
                        Gate::Missing => view! { <p>{locale.t("staff.not_found")}</p> }.into_any(),
                        Gate::Failed(error) => view! { <InternalError error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The staff menu: the pages the policy lets this user's role open.
#[component]
pub fn StaffNav(user: StaffUser) -> impl IntoView {
    let locale = use_locale();
    const PAGES: [(&str, &str, Permission); 10] = [
        (
            "/staff/accounts",
            "staff.nav_accounts",
            Permission::ManageAccounts,
        ),
        (
            "/staff/municipalities",
            "staff.nav_municipalities",
            Permission::ManageMunicipalities,
        ),
        ("/staff/audit", "staff.nav_audit", Permission::ReadAuditLog),
        (
            "/staff/data-requests",
            "staff.nav_data_requests",
            Permission::ReadDataRequests,
        ),
        (
            "/staff/requests",
            "staff.nav_requests",
            Permission::DecideAdoptions,
        ),
        ("/staff/persons", "staff.nav_cases", Permission::ReadCases),
        ("/staff/inbox", "staff.nav_inbox", Permission::ReviewFeeds),
        (
            "/staff/translations",
            "staff.nav_translations",
            Permission::WriteUpdates,
        ),
        ("/staff/feeds", "staff.nav_feeds", Permission::ReadFeeds),
        (
            "/staff/account",
            "staff.nav_account",
            Permission::ChangeOwnPassword,
        ),
    ];
    let link = move |path: &str, key: &str| {
        view! {
            <li>
                <a href=locale.path(path, false)>{locale.t(key)}</a>
            </li>
        }
    };
    let items = PAGES
        .iter()
        .filter(|(_, _, permission)| permission.allows(user.role))
        .map(|(path, key, _)| link(path, key))
        .collect_view();
    view! {
        <nav class="staff-nav" aria-label=locale.t("staff.home_title")>
            <ul>{link("/staff", "staff.home_title")} {items}</ul>
            <super::LogoutButton />
        </nav>
    }
}

/// What was just done, or that the form needs attention.
#[component]
pub fn FlashNotice(flash: Option<FormFlash>) -> impl IntoView {
    let locale = use_locale();
    flash.map(|flash| match flash.notice {
        Some(key) => view! {
            <p class="notice" role="status">
                {locale.t(&key)}
            </p>
        }
        .into_any(),
        None if !flash.errors.is_empty() => view! {
            <p class="form-problem" role="alert">
                {locale.t("staff.form_problems")}
            </p>
        }
        .into_any(),
        None => ().into_any(),
    })
}

/// The problem with a field, if any, and the attributes that link it.
fn problem(locale: Locale, flash: &Option<FormFlash>, form: &str, name: &str) -> Option<String> {
    flash
        .as_ref()
        .and_then(|f| f.error(form, name))
        .map(|key| locale.t(key))
}

fn shown(flash: &Option<FormFlash>, form: &str, name: &str, value: String) -> String {
    flash
        .as_ref()
        .and_then(|f| f.value(form, name))
        .unwrap_or(value)
}

#[component]
pub fn TextField(
    #[prop(into)] form: String,
    #[prop(into)] name: String,
    label: String,
    value: String,
    flash: Option<FormFlash>,
    #[prop(optional)] hint: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    /// A file field: the types it takes.
    #[prop(optional)]
    accept: Option<&'static str>,
    /// Inside an element in another language (a fieldset of French text on
    /// an English page): the interface language of the label, hint and error.
    #[prop(optional)]
    interface_lang: Option<&'static str>,
) -> impl IntoView {
    let locale = use_locale();
    let id = format!("{form}-{name}");
    let error = problem(locale, &flash, &form, &name);
    let value = if kind == "password" || kind == "file" {
        String::new()
    } else {
        shown(&flash, &form, &name, value)
    };
    let described = described_by(&id, hint.is_some(), error.is_some());
    view! {
        <div class="field">
            <label for=id.clone() lang=interface_lang>
                {label}
                {required.then_some(" *")}
            </label>
            {hint
                .map(|h| {
                    view! {
                        <p class="hint" id=format!("{id}-hint") lang=interface_lang>
                            {h}
                        </p>
                    }
                })}
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                required=required
                autocomplete=autocomplete
                accept=accept
                aria-invalid=error.is_some().then_some("true")
                aria-describedby=described
            />
            {error
                .map(|e| {
                    view! {
                        <p class="field-error" id=format!("{id}-error") lang=interface_lang>
                            {e}
                        </p>
                    }
                })}
        </div>
    }
}

#[component]
pub fn TextArea(
    #[prop(into)] form: String,
    #[prop(into)] name: String,
    label: String,
    value: String,
    flash: Option<FormFlash>,
    #[prop(optional)] hint: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(default = 6)] rows: u32,
    /// Inside an element in another language (a fieldset of French text on
    /// an English page): the interface language of the label, hint and error.
    #[prop(optional)]
    interface_lang: Option<&'static str>,
) -> impl IntoView {
    let locale = use_locale();
    let id = format!("{form}-{name}");
    let error = problem(locale, &flash, &form, &name);
    let value = shown(&flash, &form, &name, value);
    let described = described_by(&id, hint.is_some(), error.is_some());
    view! {
        <div class="field">
            <label for=id.clone() lang=interface_lang>
                {label}
                {required.then_some(" *")}
            </label>
            {hint
                .map(|h| {
                    view! {
                        <p class="hint" id=format!("{id}-hint") lang=interface_lang>
                            {h}
                        </p>
                    }
                })}
            <textarea
                id=id.clone()
                name=name
                rows=rows
                required=required
                aria-invalid=error.is_some().then_some("true")
                aria-describedby=described
            >
                {value}
            </textarea>
            {error
                .map(|e| {
                    view! {
                        <p class="field-error" id=format!("{id}-error") lang=interface_lang>
                            {e}
                        </p>
                    }
                })}
        </div>
    }
}

#[component]
pub fn SelectField(
    #[prop(into)] form: String,
    name: &'static str,
    label: String,
    value: String,
    flash: Option<FormFlash>,
    /// (value, label); an empty value is "none".
    options: Vec<(String, String)>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let locale = use_locale();
    let id = format!("{form}-{name}");
    let error = problem(locale, &flash, &form, name);
    let value = shown(&flash, &form, name, value);
    let described = described_by(&id, false, error.is_some());
    view! {
        <div class="field">
            <label for=id.clone()>{label}{required.then_some(" *")}</label>
            <select
                id=id.clone()
                name=name
                required=required
                aria-invalid=error.is_some().then_some("true")
                aria-describedby=described
            >
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let selected = v == value;
                        view! {
                            <option value=v selected=selected>
                                {l}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {error
                .map(|e| {
                    view! {
                        <p class="field-error" id=format!("{id}-error")>
                            {e}
                        </p>
                    }
                })}
        </div>
    }
}

/// A checkbox; `checked` is the stored state, unless the form came back.
#[component]
pub fn CheckField(
    #[prop(into)] form: String,
    #[prop(into)] name: String,
    label: String,
    checked: bool,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let id = format!("{form}-{name}");
    let error = problem(locale, &flash, &form, &name);
    let came_back = flash.as_ref().and_then(|f| f.value(&form, &name));
    let checked = came_back.map(|v| !v.is_empty()).unwrap_or(checked);
    let described = described_by(&id, false, error.is_some());
    view! {
        <div class="field check">
            <input
                id=id.clone()
                name=name
                type="checkbox"
                value="on"
                checked=checked
                aria-invalid=error.is_some().then_some("true")
                aria-describedby=described
            />
            <label for=id.clone()>{label}</label>
            {error
                .map(|e| {
                    view! {
                        <p class="field-error" id=format!("{id}-error")>
                            {e}
                        </p>
                    }
                })}
        </div>
    }
}

/// Boxes that post one list (`{name}[]`, each box `{id}-{value}`): the
/// values checked are the stored ones, unless the form came back; the
/// group's problem shows under its legend and every box names it.
#[component]
pub fn CheckboxGroup(
    #[prop(into)] form: String,
    #[prop(into)] name: String,
    /// The boxes' id prefix.
    #[prop(into)]
    id: String,
    legend: String,
    /// Each box's value and label.
    options: Vec<(String, String)>,
    /// The values checked, as stored.
    checked: Vec<String>,
    flash: Option<FormFlash>,
    #[prop(optional, into)] class: Option<String>,
) -> impl IntoView {
    let locale = use_locale();
    let error_id = format!("{form}-{name}-error");
    let error = problem(locale, &flash, &form, &name);
    let invalid = error.is_some();
    let checked: Vec<String> = match flash.as_ref().and_then(|f| f.value(&form, &name)) {
        Some(came_back) => came_back.lines().map(str::to_owned).collect(),
        None => checked,
    };
    let field = format!("{name}[]");
    view! {
        <fieldset class=class>
            <legend>{legend}</legend>
            {error
                .map(|e| {
                    view! {
                        <p class="field-error" id=error_id.clone()>
                            {e}
                        </p>
                    }
                })}
            {options
                .into_iter()
                .map(|(value, label)| {
                    let box_id = format!("{id}-{value}");
                    let is_checked = checked.contains(&value);
                    view! {
                        <div class="field check">
                            <input
                                id=box_id.clone()
                                type="checkbox"
                                name=field.clone()
                                value=value
                                checked=is_checked
                                aria-invalid=invalid.then_some("true")
                                aria-describedby=invalid.then_some(error_id.clone())
                            />
                            <label for=box_id>{label}</label>
                        </div>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// The page language as a hidden field: server functions answer in it.
#[component]
pub fn LangField() -> impl IntoView {
    let locale = use_locale();
    view! { <input type="hidden" name="lang" value=locale.code() /> }
}

/// A field written per language, as an editor shows it: its column, the
/// interface-string key of its label, how it is typed.
#[derive(Clone, Copy, Debug)]
pub struct LanguageFieldSpec {
    pub field: &'static str,
    pub label: &'static str,
    pub kind: TextKind,
}

/// The text of a record in every language: the choice of its original
/// language, then one fieldset per language (all on the page: it works
/// without JavaScript), each with its `lang`, the languages the person's
/// municipalities require marked, and, where a translation was written
/// before the original last changed, a note and the box to confirm it still holds.
pub fn language_fieldsets(
    form: &'static str,
    fields: &[LanguageFieldSpec],
    record: Option<&impl Translatable>,
    required: &[Locale],
    flash: &Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let original = record.map(|r| r.original_language()).unwrap_or(locale);
    let fieldsets = Locale::ALL
        .into_iter()
        .map(|language| {
            let outdated = record.is_some_and(|r| r.is_outdated(language));
            let mut legend = language.endonym().to_owned();
            if required.contains(&language) {
                legend.push_str(" *");
            }
            let inputs = fields
                .iter()
                .map(|spec| {
                    let name = language_field(spec.field, language);
                    let value = record
                        .and_then(|r| r.text_in(spec.field, language))
                        .unwrap_or_default()
                        .to_owned();
                    let label = locale.t(spec.label);
                    match spec.kind {
                        TextKind::Line => view! {
                            <TextField
                                form=form
                                name=name
                                label
                                value
                                flash=flash.clone()
                                interface_lang=locale.code()
                            />
                        }
                        .into_any(),
                        TextKind::Rich => view! {
                            <TextArea
                                form=form
                                name=name
                                label
                                value
                                flash=flash.clone()
                                hint=locale.t("staff.rich_hint")
                                rows=6
                                interface_lang=locale.code()
                            />
                        }
                        .into_any(),
                    }
                })
                .collect_view();
            view! {
                <fieldset
                    class="language-fields"
                    lang=language.code()
                    id=format!("{form}-{}", language.code())
                >
                    <legend>{legend}</legend>
                    {outdated
                        .then(|| {
                            view! {
                                <div lang=locale.code()>
                                    <p class="outdated">{locale.t("staff.translation_outdated")}</p>
                                    <CheckField
                                        form=form
                                        name=checked_field(language)
                                        label=locale.t("staff.translation_checked")
                                        checked=false
                                        flash=flash.clone()
                                    />
                                </div>
                            }
                        })}
                    {inputs}
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <SelectField
            form=form
            name="original_language"
            label=locale.t("staff.original_language")
            value=original.code().to_owned()
            flash=flash.clone()
            options=locale.language_choices()
            required=true
        />
        <p class="hint">{locale.t("staff.languages_hint")}</p>
        {fieldsets}
    }
}

/// The interface-string key naming a field written per language, in the
/// lists of what a translation lacks.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "title" => "staff.update_title",
        "body_html" => "staff.body",
        "summary" => "staff.summary",
        "addressee" => "staff.addressee",
        _ => "staff.source_title",
    }
}

/// What publication waits for: "Dutch: title, text".
#[component]
pub fn MissingTranslations(missing: Vec<MissingTranslation>) -> impl IntoView {
    let locale = use_locale();
    (!missing.is_empty()).then(|| {
        view! {
            <div class="missing-translations">
                <p>{locale.t("staff.missing_translations")}</p>
                <ul>
                    {missing
                        .into_iter()
                        .map(|m| {
                            let fields = m
                                .fields
                                .iter()
                                .map(|f| locale.t(field_label(f)))
                                .collect::<Vec<_>>()
                                .join(", ");
                            view! { <li>{locale.language_name(m.language)} ": " {fields}</li> }
                        })
                        .collect_view()}
                </ul>
            </div>
        }
    })
}

/// The record as each language will show it: one article per language it
/// has current text in (an outdated translation is not shown publicly, so
/// not here), marked with its `lang`. Rich text was sanitized when it was
/// saved: what is stored is what is rendered.
pub fn language_previews(
    fields: &[LanguageFieldSpec],
    record: &impl Translatable,
) -> impl IntoView {
    let locale = use_locale();
    Locale::ALL
        .into_iter()
        .filter(|l| {
            fields
                .iter()
                .any(|f| record.current_text_in(f.field, *l).is_some())
        })
        .map(|language| {
            let parts = fields
                .iter()
                .filter_map(|spec| {
                    Some((
                        spec,
                        record.current_text_in(spec.field, language)?.to_owned(),
                    ))
                })
                .map(|(spec, text)| match spec.kind {
                    TextKind::Rich => {
                        view! { <div class="preview-text" inner_html=text></div> }.into_any()
                    }
                    TextKind::Line => view! {
                        <p>
                            <span class="preview-label" lang=locale.code()>
                                {locale.t(spec.label)}
                                ": "
                            </span>
                            {text}
                        </p>
                    }
                    .into_any(),
                })
                .collect_view();
            view! {
                <article class="preview" lang=language.code()>
                    <p class="preview-language" lang=locale.code()>
                        {locale.language_name(language)}
                    </p>
                    {parts}
                </article>
            }
        })
        .collect_view()
}

/// A moment (Unix seconds) as staff pages show it, in UTC.
pub fn utc(at: i64) -> String {
    #[cfg(feature = "ssr")]
    {
        chrono::DateTime::from_timestamp(at, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        at.to_string()
    }
}
