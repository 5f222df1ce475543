//! Cases: the persons staff follow, drafts included, and the municipalities
//! that adopted them. The list of persons and one person's workspace
//! (`workspace`), the person's record (`persons`), adoptions and the
//! requests an administrator decides (`adoptions`), consent and risk on
//! record with their reviews (`consent`), the person's portrait
//! (`portraits`, its file made safe by `portrait_image`), taking a case down
//! when the risk changes (`takedown`), and their pages (`pages`). Who may change a case is `records::owners`.
pub mod adoptions;
pub mod consent;
pub mod pages;
pub mod persons;
#[cfg(feature = "ssr")]
pub mod portrait_image;
pub mod portraits;
pub mod takedown;
pub mod workspace;
