//! `/actions/{slug}`: a support action, its progress and whether it is open.
use super::errors::{InternalError, NotFound};
use crate::api::actions::{get_support_action, Availability, SupportActionDetail};
use crate::api::signature_form::{country_choices, SignFlash};
use crate::components::{sign_form::SignForm, DateText};
use crate::domain::{CountryCode, Slug};
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

/// "12 of 1,000 signatures" in the page's language.
pub fn count_text(locale: Locale, confirmed: i64, goal: i64) -> String {
    let key = if confirmed == 1 {
        "action.count_one"
    } else {
        "action.count_other"
    };
    locale
        .t(key)
        .replace("%{count}", &group_digits(locale, confirmed))
        .replace("%{goal}", &group_digits(locale, goal))
}

/// Thousands separators as each language writes them: 1,000 / 1 000 / 1.000.
fn group_digits(locale: Locale, n: i64) -> String {
    let sep = match locale {
        Locale::En => ",",
        Locale::Fr => "\u{202f}",
        Locale::Nl => ".",
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[component]
pub fn SupportActionPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound/> }.into_any();
    }
    let Ok(slug) = Slug::parse(&super::slug_param()) else {
        return view! { <NotFound/> }.into_any();
    };
    let locale = use_locale();
    let data = Resource::new(|| (), move |_| get_support_action(slug.clone()));
    let countries = Resource::new(|| (), move |_| country_choices(locale));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match (data.await, countries.await) {
                    (Ok(Some(action)), Ok(countries)) => view! { <SupportActionView action countries/> }.into_any(),
                    (Ok(None), _) => view! { <NotFound/> }.into_any(),
                    _ => view! { <InternalError/> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn SupportActionView(
    action: SupportActionDetail,
    countries: Vec<(CountryCode, String)>,
) -> impl IntoView {
    let locale = use_locale();
    let flash: Option<SignFlash> = {
        #[cfg(feature = "ssr")]
        {
            crate::api::signature_form::on_server::take_flash(&action.slug)
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    };
    let form = (action.availability == Availability::Open).then(|| {
        let chosen = flash
            .as_ref()
            .map(|f| f.values.country.clone())
            .unwrap_or_default();
        let initial = flash.map(|f| (f.values, f.result));
        view! {
            <SignForm locale action=action.slug.to_string() initial>
                <select id="country" name="country" autocomplete="country">
                    <option value="">{locale.t("sign.country_none")}</option>
                    {countries
                        .into_iter()
                        .map(|(code, name)| {
                            let selected = code.as_str() == chosen;
                            view! { <option value=code.to_string() selected=selected>{name}</option> }
                        })
                        .collect_view()}
                </select>
            </SignForm>
        }
    });
    let person_href = locale.path(&format!("/persons/{}", action.person_slug), false);
    let progress_max = action.goal.max(1);
    let progress_value = action.confirmed.min(progress_max);
    let description = locale
        .t("action.meta_description")
        .replace("%{name}", &action.person_name);
    let status = match action.availability {
        Availability::Open => None,
        Availability::NotYetOpen => Some(view! {
            <p class="action-closed" role="status">{locale.t("action.not_yet_open_long")} " " <DateText date=action.opens_on/></p>
        }.into_any()),
        Availability::DeadlinePassed => Some(view! {
            <p class="action-closed" role="status">
                {locale.t("action.deadline_passed_long")} " "
                {action.closes_on.map(|d| view! { <DateText date=d/> })}
            </p>
        }.into_any()),
        Availability::ClosedByOrganisers => Some(view! {
            <p class="action-closed" role="status">{locale.t("action.closed_by_organisers_long")}</p>
        }.into_any()),
    };
    view! {
        <Title text=action.title.clone()/>
        <Meta name="description" content=description.clone()/>
        <Meta property="og:title" content=action.title.clone()/>
        <Meta property="og:description" content=description/>
        <article class="support-action" data-availability=action.availability.slug()>
            <h1>{action.title}</h1>
            <p class="for-person">{locale.t("action.for")} " " <a href=person_href>{action.person_name}</a></p>
            <p class="addressee"><span class="label">{locale.t("action.addressee")}</span> " " {action.addressee}</p>
            <div class="action-text" inner_html=action.body_html></div>
            <section class="progress" aria-labelledby="progress-heading">
                <h2 id="progress-heading">{locale.t("action.progress_heading")}</h2>
                <p class="signature-count">{count_text(locale, action.confirmed, action.goal)}</p>
                <progress max=progress_max value=progress_value aria-labelledby="progress-heading"></progress>
                <p class="deadline">
                    {match action.closes_on {
                        Some(d) => view! { {locale.t("action.closes_on")} " " <DateText date=d/> }.into_any(),
                        None => view! { {locale.t("action.no_deadline")} }.into_any(),
                    }}
                </p>
            </section>
            {status}
            {form}
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_as_each_language_does() {
        assert_eq!(group_digits(Locale::En, 1_234_567), "1,234,567");
        assert_eq!(group_digits(Locale::Fr, 1000), "1\u{202f}000");
        assert_eq!(group_digits(Locale::Nl, 999), "999");
        assert_eq!(group_digits(Locale::Nl, 10_000), "10.000");
        assert_eq!(count_text(Locale::En, 1, 1000), "1 of 1,000 signatures");
        assert_eq!(count_text(Locale::En, 0, 1000), "0 of 1,000 signatures");
    }
}
