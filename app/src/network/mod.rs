//! The network: the municipalities that belong to it and the languages each
//! writes in before a case it adopted is published.
#[cfg(feature = "ssr")]
pub mod municipalities;
