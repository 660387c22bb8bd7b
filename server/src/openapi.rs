//! The OpenAPI 3.1 document of every HTTP route (`GET /openapi.json`, kept in the repository as docs/openapi.json),
//! generated from the handlers' `#[utoipa::path]` annotations and the wire types' `ToSchema` derives, so it cannot
//! drift from the code.
//!
//! **Adding a route:** annotate its handler with `#[utoipa::path(get|post, path = "…", responses(…))]` (its own
//! statuses only) and name the handler in [`ApiDoc`]'s `paths(…)` list. What every route of an audience shares is
//! added here by path prefix ([`Audiences`]): the security requirement, the identity headers and the errors of
//! authentication, body parsing and the server (`414`, `500`, `503`). Then regenerate the committed copy with
//! `cargo run -q -p frontdesk-server -- openapi > docs/openapi.json`; a test fails while they differ, and another
//! while a route of `src/routes/` is missing from the document.

use std::sync::OnceLock;

use frontdesk_protocol::headers;
use frontdesk_protocol::wire::ErrorEnvelope;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, ObjectBuilder, OpenApi as Document, RefOr, Required, Type};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes;

/// Security scheme names, as the document's `components.securitySchemes` spells them.
const WIDGET_TOKEN: &str = "widget_token";
const DEVICE: &str = "device_id";
const USER_TOKEN: &str = "user_token";
const SECRET_KEY: &str = "secret_key";
const AGENT_KEY: &str = "agent_key";
const METRICS_TOKEN: &str = "metrics_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Frontdesk HTTP API",
        description = "Every HTTP route of the Frontdesk server. docs/api.md is the prose: the rules behind each \
                       field, the limits and when each error code is answered.",
        license(name = "MIT")
    ),
    paths(
        routes::widget::start_session,
        routes::widget::leave_email,
        routes::admin::show_org,
        routes::admin::update_org,
        routes::admin::list_agents,
        routes::admin::create_agent,
        routes::admin::revoke_agent,
        routes::admin::rotate_widget_token,
        routes::admin::retire_widget_token,
        routes::admin::rotate_secret_key,
        routes::admin::retire_secret_key,
        routes::admin::delete_contact,
        routes::admin::export_contact,
        routes::admin::delete_device,
        routes::admin::export_device,
        routes::admin::list_audit,
        routes::webhooks::add_endpoint,
        routes::webhooks::list_endpoints,
        routes::webhooks::remove_endpoint,
        routes::webhooks::list_deliveries,
        routes::webhooks::replay,
        routes::widget::list_sessions,
        routes::widget::list_messages,
        routes::widget::send_message,
        routes::widget::updates,
        routes::widget::resolve,
        routes::widget::rate,
        routes::widget::typing,
        routes::widget::seen,
        routes::attachments::visitor_upload,
        routes::attachments::visitor_download,
        routes::attachments::settings,
        routes::authenticate::authenticate_user,
        routes::agent::list_sessions,
        routes::agent::list_messages,
        routes::agent::reply,
        routes::agent::updates,
        routes::agent::resolve,
        routes::agent::reopen,
        routes::agent::typing,
        routes::agent::seen,
        routes::agent::csat,
        routes::attachments::agent_upload,
        routes::attachments::agent_download,
        routes::console::redirect,
        routes::console::page,
        routes::console::script,
        routes::console::style,
        routes::health::healthz,
        routes::health::readyz,
        routes::health::openapi_json,
        routes::health::metrics,
    ),
    components(schemas(ErrorEnvelope)),
    modifiers(&Audiences, &StaticFiles),
    tags(
        (name = "widget", description = "Called by the widget in the visitor's browser (docs/api.md, \"Widget-facing API\")."),
        (name = "server-to-server", description = "Called by the site's own backend with the secret key."),
        (name = "agent", description = "Support staff and bots: every chat of the org (docs/api.md, \"Agent API\")."),
        (name = "console", description = "The agent console's page and files."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
        (name = "static", description = "The widget's files, served only with `serve --public-dir`."),
    )
)]
pub struct ApiDoc;

/// The document as served and committed: pretty JSON with a final newline, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut json = ApiDoc::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serialises");
        json.push('\n');
        json
    })
}

/// Who calls a group of routes, told by the path: how it authenticates and which errors every route of it shares.
struct Audience {
    prefix: &'static str,
    /// Alternatives (OR) of schemes that hold together (AND).
    security: &'static [&'static [&'static str]],
    /// Errors any route of the audience may answer before its handler runs, by status.
    errors: &'static [(u16, &'static [&'static str])],
    /// Takes the widget's `X-Frontdesk-External-Id` header.
    scoped: bool,
}

/// First match wins: the longer prefixes come first.
const AUDIENCES: &[Audience] = &[
    Audience {
        prefix: "/widget/v1/",
        security: &[&[WIDGET_TOKEN, USER_TOKEN], &[WIDGET_TOKEN, DEVICE]],
        errors: &[
            (400, &["ambiguous_identity", "invalid_device_id"]),
            (
                401,
                &[
                    "invalid_widget_token",
                    "missing_identity",
                    "invalid_user_token",
                    "user_token_expired",
                ],
            ),
            (403, &["origin_not_allowed"]),
            (422, &["invalid_external_id"]),
        ],
        scoped: true,
    },
    Audience {
        prefix: "/widget/authenticate-user",
        security: &[&[SECRET_KEY]],
        errors: &[(401, &["invalid_secret_key"]), (403, &["origin_forbidden"])],
        scoped: false,
    },
    // The admin API takes the secret key only.
    Audience {
        prefix: "/api/admin/",
        security: &[&[SECRET_KEY]],
        errors: &[(401, &["invalid_secret_key"])],
        scoped: false,
    },
    Audience {
        prefix: "/api/",
        security: &[&[SECRET_KEY], &[AGENT_KEY]],
        errors: &[(401, &["invalid_api_key"])],
        scoped: false,
    },
];

/// Errors any route may answer: a path too long, a failure, a database that cannot serve for now, a full server.
const EVERY_ROUTE: &[(u16, &[&str])] = &[
    (414, &["uri_too_long"]),
    (500, &["internal"]),
    (503, &["database_unavailable", "server_busy"]),
];

/// Errors of a JSON request body (`extract::Json`) and of the body limit.
const WITH_BODY: &[(u16, &[&str])] = &[
    (408, &["body_timeout"]),
    (413, &["body_too_large"]),
    (415, &["unsupported_media_type"]),
    (422, &["invalid_body"]),
];

/// Errors of a query string (`extract::Query`).
const WITH_QUERY: &[(u16, &[&str])] = &[(422, &["invalid_query"])];

/// Adds the security schemes, and to every operation what its audience shares.
struct Audiences;

impl Modify for Audiences {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let header_key = |name: &str, description: &str| {
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                name,
                description,
            )))
        };
        let bearer = |format: &str, description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format(format)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            WIDGET_TOKEN,
            header_key(
                headers::WIDGET_TOKEN,
                "The org's public widget token (wt_…), from `org create`.",
            ),
        );
        components.add_security_scheme(
            DEVICE,
            header_key(
                headers::DEVICE,
                "A non-verified visitor: the device id, 32 lowercase hex characters the widget generated.",
            ),
        );
        components.add_security_scheme(
            USER_TOKEN,
            bearer(
                "fdu1",
                "A verified visitor: the user token from POST /widget/authenticate-user.",
            ),
        );
        components.add_security_scheme(
            SECRET_KEY,
            bearer(
                "sk_",
                "The org's secret key (sk_…), from `org create`; for servers only.",
            ),
        );
        components.add_security_scheme(
            AGENT_KEY,
            bearer("ak_", "An agent key (ak_…), from `agent create`."),
        );
        components.add_security_scheme(
            METRICS_TOKEN,
            bearer(
                "token",
                "The token given to `serve --metrics-token`, when /metrics is served on the public listener.",
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let audience = AUDIENCES.iter().find(|a| path.starts_with(a.prefix));
            for operation in operations(item) {
                if let Some(audience) = audience {
                    operation.security = Some(
                        audience
                            .security
                            .iter()
                            .map(|schemes| requirement(schemes))
                            .collect(),
                    );
                    if audience.scoped {
                        let scope = ParameterBuilder::new()
                            .name(headers::EXTERNAL_ID)
                            .parameter_in(ParameterIn::Header)
                            .required(Required::False)
                            .description(Some(
                                "Optional workspace: every read and write is scoped by it (absent = the default \
                                 scope). 1–128 characters of [A-Za-z0-9_.:@-].",
                            ))
                            .schema(Some(
                                ObjectBuilder::new()
                                    .schema_type(Type::String)
                                    .min_length(Some(1))
                                    .max_length(Some(128))
                                    .pattern(Some("^[A-Za-z0-9_.:@-]+$")),
                            ))
                            .build();
                        operation
                            .parameters
                            .get_or_insert_with(Vec::new)
                            .push(scope);
                    }
                    add_errors(operation, audience.errors);
                }
                if let Some(body) = operation.request_body.as_mut() {
                    if body.content.contains_key("application/json") {
                        // An empty body reads as `{}` (`extract::Json`).
                        body.required = Some(Required::False);
                        add_errors(operation, WITH_BODY);
                    }
                }
                let has_query = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Query));
                if has_query {
                    add_errors(operation, WITH_QUERY);
                }
                add_errors(operation, EVERY_ROUTE);
            }
        }
    }
}

/// All of `schemes` together.
fn requirement(schemes: &[&str]) -> SecurityRequirement {
    let none: [&str; 0] = [];
    let (first, rest) = schemes.split_first().expect("a requirement names a scheme");
    rest.iter()
        .fold(SecurityRequirement::new(*first, none), |all, scheme| {
            all.add(*scheme, none)
        })
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// An error response naming its codes, with the one error body.
fn error_response(codes: &[&str]) -> Response {
    let names: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    ResponseBuilder::new()
        .description(format!(
            "{} (docs/api.md, \"Error codes\")",
            names.join(", ")
        ))
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                ErrorEnvelope::name(),
            )))),
        )
        .build()
}

/// Adds `errors` to `operation`; a status it already documents gets the codes added to its description.
fn add_errors(operation: &mut Operation, errors: &[(u16, &[&str])]) {
    for (status, codes) in errors {
        let responses = &mut operation.responses.responses;
        match responses.get_mut(&status.to_string()) {
            Some(RefOr::T(response)) => {
                let more: Vec<String> = codes
                    .iter()
                    .filter(|c| !response.description.contains(&format!("`{c}`")))
                    .map(|c| format!("`{c}`"))
                    .collect();
                if !more.is_empty() {
                    response.description =
                        format!("{}; also {}", response.description, more.join(", "));
                }
            }
            _ => {
                responses.insert(status.to_string(), RefOr::T(error_response(codes)));
            }
        }
    }
}

/// The widget's files, served from `serve --public-dir` (no handler of ours: `ServeDir` answers them).
struct StaticFiles;

impl Modify for StaticFiles {
    fn modify(&self, openapi: &mut Document) {
        for (file, media_type) in [
            ("/widget.js", "text/javascript"),
            ("/frontdesk.js", "text/javascript"),
            ("/frontdesk_bg.wasm", "application/wasm"),
        ] {
            let version = ParameterBuilder::new()
                .name("v")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(
                    "The build's content hash: when it is the served build's, the answer may be cached for a year.",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build();
            let mut operation = Operation::new();
            operation.tags = Some(vec!["static".into()]);
            operation.operation_id = Some(format!("static_{}", file.trim_start_matches('/')));
            operation.summary = Some(format!(
                "The widget's {file} (with `serve --public-dir` only)"
            ));
            operation.parameters = Some(vec![version]);
            let found = ResponseBuilder::new()
                .description("The file, compressed with br or gzip when the client accepts it")
                .content(
                    media_type,
                    Content::new(Some(ObjectBuilder::new().schema_type(Type::String))),
                )
                .build();
            operation
                .responses
                .responses
                .insert("200".into(), RefOr::T(found));
            operation.responses.responses.insert(
                "304".into(),
                RefOr::T(Response::new("Not modified since `If-Modified-Since`")),
            );
            add_errors(&mut operation, &[(404, &["not_found"])]);
            add_errors(&mut operation, EVERY_ROUTE);
            let mut item = PathItem::default();
            item.get = Some(operation);
            openapi.paths.paths.insert(file.into(), item);
        }
    }
}
