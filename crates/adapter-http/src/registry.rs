//! The route registry: the routes every `routes/<aggregate>.rs` declares beside its handlers, collected in the
//! reference's order. The actix wiring and the OpenAPI document are both generated from it, so a route cannot
//! exist undocumented or be documented without existing.

use std::sync::LazyLock;

use crate::route::RouteSpec;
use crate::routes::{api_keys, health, imports, profile, public_page, signal_log, stats, strategies, trades, webhooks};

static ROUTES: LazyLock<Vec<RouteSpec>> = LazyLock::new(|| {
    [
        api_keys::ROUTES,
        webhooks::ROUTES,
        strategies::ROUTES,
        stats::ROUTES,
        signal_log::ROUTES,
        trades::ROUTES,
        imports::ROUTES,
        profile::ROUTES,
        public_page::ROUTES,
        health::ROUTES,
    ]
    .concat()
});

/// Every route of the service, in the reference's order.
pub fn routes() -> &'static [RouteSpec] {
    &ROUTES
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use quantarya_ports::PageLimit;

    use super::*;
    use crate::auth_kind::Auth;
    use crate::route::Data;

    fn document() -> serde_json::Value {
        serde_json::from_str(&crate::openapi::json()).expect("valid JSON")
    }

    #[test]
    fn the_document_has_exactly_the_public_routes() {
        let document = crate::openapi::document();
        let mut documented = HashSet::new();
        for (path, item) in &document.paths.paths {
            for (method, operation) in
                [("GET", &item.get), ("POST", &item.post), ("PATCH", &item.patch), ("DELETE", &item.delete)]
            {
                if operation.is_some() {
                    documented.insert(format!("{method} {path}"));
                }
            }
        }
        let public: HashSet<String> =
            routes().iter().filter(|r| r.public).map(|r| format!("{} {}", r.verb.as_str(), r.path)).collect();
        assert_eq!(documented, public);
        assert_eq!(
            public.len(),
            29,
            "the 17 reference routes, PATCH /strategies/{{id}}, trade history, stats, the signal log, three import \
             routes, the export and the four webhook routes"
        );
        assert!(!documented.iter().any(|r| r.contains("healthz") || r.contains("readyz") || r.contains("openapi")));
    }

    /// The texts that quote a limit of the domain or the ports (they cannot be built from the constants) still
    /// quote its value.
    #[test]
    fn texts_quote_the_limits_in_force() {
        let document = crate::openapi::json();
        let (max, default) = (PageLimit::MAX, PageLimit::DEFAULT.get());
        let kib = crate::body::MAX_BODY_BYTES / 1024;
        let seconds = crate::body::BODY_TIMEOUT.as_secs();
        for text in [
            format!("Page size, 1–{max} (default {default})."),
            format!("At most {} live keys per user", quantarya_domain::ApiKey::LIMIT_PER_USER),
            format!("At most {} strategies per user.", quantarya_domain::Strategy::LIMIT_PER_USER),
            format!("sampled to at most {} points", quantarya_ports::OWNER_CURVE_POINTS),
            format!("at most {} points, extremes kept", quantarya_ports::PUBLIC_CURVE_POINTS),
            format!("The body is over {kib} KiB"),
            format!("longer than {seconds} s to arrive"),
            format!(
                "in the last {} days, at most the {} newest",
                quantarya_domain::SignalLogEntry::RETENTION.num_days(),
                quantarya_domain::SignalLogEntry::KEPT_PER_STRATEGY
            ),
            format!("(its first {} KiB)", quantarya_domain::LoggedBody::MAX_BYTES / 1024),
        ] {
            assert!(document.contains(&text), "the document no longer says {text:?}");
        }
    }

    #[test]
    fn every_referenced_schema_is_a_component() {
        let document = crate::openapi::document();
        let components = document.components.expect("components");
        let mut names = vec!["ErrorEnvelope".to_owned()];
        for spec in routes() {
            names.extend(spec.body.map(|b| b.schema.name()));
            names.extend(spec.success.iter().filter_map(|s| s.data.schema()).map(|s| s.name()));
        }
        for name in names {
            assert!(components.schemas.contains_key(&name), "{name} is referenced but not a component");
        }
        assert!(routes().iter().any(|r| r.success.iter().any(|s| matches!(s.data, Data::Page(_)))));
    }

    #[test]
    fn every_operation_that_takes_credentials_names_its_own_key_policy() {
        let operations: Vec<_> =
            routes().iter().filter_map(|spec| if let Auth::Bearer(op) = spec.auth { Some(op) } else { None }).collect();
        for (i, op) in operations.iter().enumerate() {
            assert!(!operations[..i].contains(op), "two routes name {op:?}");
        }
        let scoped = |scope| {
            routes()
                .iter()
                .filter(|s| s.auth.key_access() == Some(quantarya_ports::KeyAccess::Scope(scope)))
                .map(|s| format!("{} {}", s.verb.as_str(), s.path))
                .collect::<Vec<_>>()
        };
        // The contract's table of scopes.
        use quantarya_domain::ApiKeyScope::{Manage, Read, Signals};
        assert_eq!(scoped(Signals), ["POST /strategies/{strategy_id}/trades"]);
        assert_eq!(
            scoped(Read),
            ["GET /strategies/{strategy_id}/trades", "GET /strategies/{strategy_id}/trades/{trade_id}"]
        );
        assert_eq!(
            scoped(Manage),
            [
                "PATCH /strategies/{strategy_id}/trades/{trade_id}",
                "DELETE /strategies/{strategy_id}/trades/{trade_id}",
                "POST /strategies/{strategy_id}/trades/{trade_id}/close"
            ]
        );
    }

    #[test]
    fn every_link_leads_to_a_public_operation_whose_path_parameters_the_response_carries() {
        let document = document();
        for spec in routes() {
            for success in spec.success {
                for &link in success.links {
                    let target = routes().iter().find(|r| r.operation_id == link);
                    let target = target.unwrap_or_else(|| panic!("no operation {link}"));
                    assert!(target.public, "{link}");
                    assert!(!target.path_params.is_empty(), "{link} takes nothing from a response");
                    let data = success.data.schema().map(|s| s.name()).expect("a link needs data");
                    let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{data}") });
                    let object = crate::docs_page::object_fields(&document, &reference).expect("an object");
                    for param in target.path_params {
                        let field = object.fields.iter().find(|(name, _)| *name == param.name);
                        assert!(field.is_some_and(|(_, f)| f.is_object()), "{data} has no {} for {link}", param.name);
                    }
                }
            }
        }
    }

    #[test]
    fn patch_bodies_need_at_least_one_field_and_nothing_caps_fields() {
        assert!(!crate::openapi::json().contains("maxProperties"));
        let document = document();
        for schema in ["UpdateTradeRequest", "UpdateStrategyRequest"] {
            assert_eq!(document["components"]["schemas"][schema]["minProperties"], serde_json::json!(1), "{schema}");
        }
    }

    #[test]
    fn error_codes_are_the_enum_clients_can_branch_on() {
        let document = document();
        let codes = &document["components"]["schemas"]["ErrorInfo"]["properties"]["code"]["enum"];
        let listed: Vec<&str> = codes.as_array().expect("an enum").iter().filter_map(|c| c.as_str()).collect();
        assert_eq!(listed, crate::error_code::ErrorCode::names().collect::<Vec<_>>());
        let description = document["info"]["description"].as_str().expect("a description");
        for code in crate::error_code::ErrorCode::names() {
            assert!(description.contains(&format!("`{code}`")), "{code} is not described");
        }
    }

    #[test]
    fn request_bodies_take_no_undocumented_field() {
        let document = document();
        for spec in routes().iter().filter(|r| r.public) {
            // A file is a string, not an object of fields.
            if let Some(body) = spec.body.filter(|b| b.media != crate::body::Media::Csv) {
                let schema = &document["components"]["schemas"][body.schema.name()];
                assert_eq!(schema["additionalProperties"], serde_json::json!(false), "{}", body.schema.name());
            }
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let ids: Vec<&str> = routes().iter().map(|r| r.operation_id).collect();
        let unique: HashSet<&&str> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len());
    }
}
