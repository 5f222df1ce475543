//! The filter forms of the lists (persons, actions). Without JavaScript each
//! is a plain GET form. As an island it leaves empty filters out of the
//! address, so the links people share stay short. It does not navigate on
//! every change: moving through a select with the keyboard must not reload
//! the page (WCAG 3.2.2).
//!
//! The fields are rendered on the server and given to the island as its
//! children: the island only reads them when the form is sent, so neither
//! the choices nor their deserializer ship in the wasm.
use crate::api::actions::ActionFilter;
use crate::api::persons::{FilterChoices, PersonFilter};
use crate::api::MunicipalityRef;
use crate::domain::ActionState;
use crate::i18n::Locale;
use leptos::prelude::*;

/// The filters a GET of the persons list takes, in the order of the form.
const FILTERS: [&str; 4] = PersonFilter::FIELDS;

/// A list's filter form; `names`: its selects' names, in the order the
/// address gives them.
#[island]
pub fn FilterForm(action: String, names: Vec<String>, children: Children) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let target = action.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(form) = super::submitted_form(&ev) else {
                return;
            };
            let query = names
                .iter()
                .filter_map(|name| {
                    let select = form
                        .get_with_name(name)?
                        .dyn_into::<web_sys::HtmlSelectElement>()
                        .ok()?;
                    let value = select.value();
                    (!value.is_empty()).then(|| format!("{name}={value}"))
                })
                .collect::<Vec<_>>()
                .join("&");
            let url = if query.is_empty() {
                target.clone()
            } else {
                format!("{target}?{query}")
            };
            let _ = window().location().set_href(&url);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&target, &names);
    };
    view! {
        <form
            class="filters"
            method="get"
            action=action
            on:submit=on_submit
            data-hydrated=move || hydrated.get().to_string()
        >
            {children()}
        </form>
    }
}

/// The form's fields, as the server renders them; `submit`: its button's
/// text, else "Apply filters".
#[component]
pub fn PersonFilterFields(
    locale: Locale,
    choices: FilterChoices,
    selected: PersonFilter,
    #[prop(optional, into)] submit: Option<String>,
) -> impl IntoView {
    let rights = selected
        .rights
        .map(|r| r.slug().to_owned())
        .unwrap_or_default();
    let status = selected
        .status
        .map(|s| s.slug().to_owned())
        .unwrap_or_default();
    let country = selected
        .country
        .as_ref()
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    let municipality = selected
        .municipality
        .as_ref()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let any = locale.t("filters.any");
    let option = |value: String, label: String, current: &str| {
        let selected = current == value;
        view! {
            <option value=value selected=selected>
                {label}
            </option>
        }
    };
    view! {
        <label>
            <span>{locale.t("filters.rights")}</span>
            <select name=FILTERS[0]>
                <option value="">{any.clone()}</option>
                {choices
                    .categories
                    .iter()
                    .map(|c| option(
                        c.category.slug().to_owned(),
                        c.name.get(locale).to_owned(),
                        &rights,
                    ))
                    .collect_view()}
            </select>
        </label>
        <label>
            <span>{locale.t("filters.status")}</span>
            <select name=FILTERS[1]>
                <option value="">{any.clone()}</option>
                {choices
                    .statuses
                    .iter()
                    .map(|s| option(s.slug().to_owned(), locale.t(&s.label_key()), &status))
                    .collect_view()}
            </select>
        </label>
        <label>
            <span>{locale.t("filters.country")}</span>
            <select name=FILTERS[2]>
                <option value="">{any.clone()}</option>
                {choices
                    .countries
                    .iter()
                    .map(|c| option(
                        c.code.as_str().to_owned(),
                        c.name.get(locale).to_owned(),
                        &country,
                    ))
                    .collect_view()}
            </select>
        </label>
        <label>
            <span>{locale.t("filters.municipality")}</span>
            <select name=FILTERS[3]>
                <option value="">{any}</option>
                {choices
                    .municipalities
                    .iter()
                    .map(|m| option(m.slug.as_str().to_owned(), m.name.text.clone(), &municipality))
                    .collect_view()}
            </select>
        </label>
        <button type="submit">{submit.unwrap_or_else(|| locale.t("filters.apply"))}</button>
    }
}

/// The fields of the actions list's form, as the server renders them.
#[component]
pub fn ActionFilterFields(
    locale: Locale,
    municipalities: Vec<MunicipalityRef>,
    selected: ActionFilter,
) -> impl IntoView {
    let municipality = selected
        .municipality
        .as_ref()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let state = selected.state.map(|s| s.slug()).unwrap_or_default();
    let any = locale.t("filters.any");
    view! {
        <label>
            <span>{locale.t("filters.action_municipality")}</span>
            <select name=ActionFilter::FIELDS[0]>
                <option value="">{any.clone()}</option>
                {municipalities
                    .into_iter()
                    .map(|m| {
                        let selected = m.slug.as_str() == municipality;
                        view! {
                            <option value=m.slug.to_string() selected=selected>
                                {m.name.text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        <label>
            <span>{locale.t("filters.state")}</span>
            <select name=ActionFilter::FIELDS[1]>
                <option value="">{any}</option>
                {ActionState::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <option value=s.slug() selected=s.slug() == state>
                                {locale.t(s.label_key())}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        <button type="submit">{locale.t("filters.apply")}</button>
    }
}
