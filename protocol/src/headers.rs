//! Header names of the widget API. HTTP header names are case-insensitive; these are spelled as documented.

/// The org's public widget token (`wt_…`), on every `/widget/v1/…` request.
pub const WIDGET_TOKEN: &str = "X-Frontdesk-Widget-Token";
/// A non-verified visitor's device id (32 lowercase hex characters).
pub const DEVICE: &str = "X-Frontdesk-Device";
/// The optional workspace scope.
pub const EXTERNAL_ID: &str = "X-Frontdesk-External-Id";

/// The same names in lower case: how HTTP/2 carries them, and what `http::HeaderName::from_static` takes.
pub mod lowercase {
    pub const WIDGET_TOKEN: &str = "x-frontdesk-widget-token";
    pub const DEVICE: &str = "x-frontdesk-device";
    pub const EXTERNAL_ID: &str = "x-frontdesk-external-id";
}

#[cfg(test)]
mod tests {
    #[test]
    fn lower_case_names_are_the_same_names() {
        for (name, lower) in [
            (super::WIDGET_TOKEN, super::lowercase::WIDGET_TOKEN),
            (super::DEVICE, super::lowercase::DEVICE),
            (super::EXTERNAL_ID, super::lowercase::EXTERNAL_ID),
        ] {
            assert_eq!(name.to_ascii_lowercase(), lower);
        }
    }
}
