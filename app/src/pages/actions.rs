//! `/actions/{slug}`: a support action, its progress and whether it is open.
use super::errors::{InternalError, NotFound};
use crate::api::actions::{get_support_action, SupportActionDetail};
use crate::api::places::country_choices;
use crate::components::{sign_form::SignForm, DateText, UntranslatedNote};
use crate::domain::{Availability, CountryCode, PartialDate, Slug};
use crate::i18n::{use_locale, Locale};
use crate::signing::form::SignFlash;
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
    let data = Resource::new(|| (), move |_| get_support_action(slug.clone(), locale));
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
            crate::signing::on_server::take_flash(&action.slug)
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
        <Title text=action.title.text.clone()/>
        <Meta name="description" content=description.clone()/>
        <Meta property="og:title" content=action.title.text.clone()/>
        <Meta property="og:description" content=description/>
        <article class="support-action" data-availability=action.availability.slug()>
            <h1 lang=action.title.lang_attr(locale)>{action.title.text.clone()}</h1>
            <p class="for-person">{locale.t("action.for")} " " <a href=person_href>{action.person_name}</a></p>
            <p class="addressee"><span class="label">{locale.t("action.addressee")}</span> " " <span lang=action.addressee.lang_attr(locale)>{action.addressee.text.clone()}</span></p>
            <div class="action-text" lang=action.body_html.lang_attr(locale) inner_html=action.body_html.text.clone()></div>
            <UntranslatedNote texts=vec![Some(action.title), Some(action.addressee), Some(action.body_html)]/>
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
            <SignatureChart per_day=action.per_day/>
            {(!action.recent_signers.is_empty()).then(|| view! {
                <section class="recent-signers" aria-labelledby="recent-heading">
                    <h2 id="recent-heading">{locale.t("action.recent_heading")}</h2>
                    <ul>
                        {action.recent_signers.into_iter().map(|signer| view! {
                            <li>{signer.first_name}{signer.place.map(|p| format!(", {p}"))}</li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            {status}
            {form}
        </article>
    }
}

/// Confirmed signatures per day as server-drawn SVG bars, with the same
/// figures as a table for screen readers and for anyone without images.
#[component]
fn SignatureChart(per_day: Vec<(PartialDate, i64)>) -> impl IntoView {
    let locale = use_locale();
    let (Some(&(first, _)), Some(&(last, _))) = (per_day.first(), per_day.last()) else {
        return None;
    };
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 120.0;
    let max = per_day.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let slot = WIDTH / per_day.len() as f64;
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    let bars = per_day
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let height = (*n as f64 / max as f64 * HEIGHT).max(if *n > 0 { 1.0 } else { 0.0 });
            view! {
                <rect class="bar" x=format!("{:.2}", i as f64 * slot) y=format!("{:.2}", HEIGHT - height)
                    width=format!("{:.2}", (slot - gap).max(0.5)) height=format!("{height:.2}")>
                    <title>{format!("{}: {n}", day.format(locale))}</title>
                </rect>
            }
        })
        .collect_view();
    let description = locale
        .t("action.chart_description")
        .replace("%{first}", &first.format(locale))
        .replace("%{last}", &last.format(locale))
        .replace("%{max}", &group_digits(locale, max));
    Some(view! {
        <section class="chart" aria-labelledby="chart-heading">
            <h2 id="chart-heading">{locale.t("action.chart_heading")}</h2>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img"
                aria-labelledby="chart-heading chart-description" class="per-day">
                <desc id="chart-description">{description.clone()}</desc>
                {bars}
            </svg>
            <p class="chart-axis"><DateText date=first/><DateText date=last/></p>
            <details>
                <summary>{locale.t("action.chart_table")}</summary>
                <table class="per-day-table">
                    <thead><tr><th scope="col">{locale.t("action.chart_day")}</th><th scope="col">{locale.t("action.chart_count")}</th></tr></thead>
                    <tbody>
                        {per_day.into_iter().rev().filter(|(_, n)| *n > 0).map(|(day, n)| view! {
                            <tr><td><DateText date=day/></td><td>{group_digits(locale, n)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
    })
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
