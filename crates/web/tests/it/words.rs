//! Errors name fields and records in the reader's words: Chinese labels for every field
//! the API and the rules can name, and for every kind of record that can be "not found".

use aftersales_testkit::app_test;
use serde_json::{Value, json};

use crate::support::registration;

app_test!(errors_name_fields_and_records_in_chinese, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    let r = desk.post("/api/v1/tickets", &registration(org, "复印时卡纸，报警 J-7012")).await;
    let path = format!("/api/v1/tickets/{}/transitions", r.body["id"]);
    let mut etag = r.etag();
    for body in [json!({"action": "accept"}), json!({"action": "grade", "level": "P2", "reason": "影响报销"})] {
        etag = desk.post_if_match(&path, &body, &etag).await.etag();
    }
    let dispatcher = t.api(&org.dispatcher).await;
    etag = dispatcher.post_if_match(&path, &json!({"action": "dispatch"}), &etag).await.etag();
    let eng = t.api(&org.eng_south).await;
    for body in
        [json!({"action": "respond"}), json!({"action": "start"}), json!({"action": "resolve", "resolution": "x"})]
    {
        etag = eng.post_if_match(&path, &body, &etag).await.etag();
    }
    let r = desk.post_if_match(&path, &json!({"action": "confirm_closure"}), &etag).await;
    assert_eq!(r.body["error"]["fields"]["method"], "结案方式必填项，不能为空", "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("结案方式（"), "{}", r.body);
    let admin = t.api(&org.admin).await;
    let r = admin.get("/api/v1/notices/1569").await;
    assert_eq!(r.body["error"]["message"], "通告「1569」不存在或无权查看", "{}", r.body);
    let r = admin.get("/api/v1/deliveries/1569").await;
    assert_eq!(r.body["error"]["message"], "投递记录「1569」不存在或无权查看", "{}", r.body);
});

/// Every field the API can name (the properties of every request body, every parameter)
/// and every field a rule refuses (read from the sources) has a Chinese label.
#[test]
fn every_field_the_api_and_the_rules_name_has_a_chinese_label() {
    use aftersales_domain::Lang;
    use aftersales_domain::error::field_label;
    let doc = aftersales_web::openapi::document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(r)) => out.push(r.rsplit('/').next().unwrap().to_owned()),
                        _ => refs(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    fn properties(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "properties" {
                        out.extend(x.as_object().unwrap().keys().cloned());
                    }
                    properties(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| properties(x, out)),
            _ => {}
        }
    }
    let mut fields = std::collections::BTreeSet::new();
    let mut pending = Vec::new();
    for op in doc["paths"].as_object().unwrap().values().flat_map(|p| p.as_object().unwrap().values()) {
        refs(&op["requestBody"], &mut pending);
        for p in op["parameters"].as_array().into_iter().flatten() {
            fields.insert(p["name"].as_str().unwrap().to_owned());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = schemas.get(&name)
        {
            properties(schema, &mut fields);
            refs(schema, &mut pending);
        }
    }
    assert!(seen.contains("Registration") && fields.contains("occurred_at"), "{seen:?}");
    // The fields the rules refuse, as the code names them.
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let markers =
        ["DomainError::field(\"", "invalid(\"", "problems, \"", "required_text(\"", "bad_request(Some(\"", ".push((\""];
    for krate in ["domain", "app", "web"] {
        let mut dirs = vec![crates.join(krate).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let source = source.split("#[cfg(test)]").next().unwrap();
                for marker in markers {
                    for (at, _) in source.match_indices(marker) {
                        let rest = &source[at + marker.len()..];
                        let name = &rest[..rest.find('"').unwrap()];
                        // Field names, not the HTTP statuses the OpenAPI post-processing pushes.
                        let status = name.chars().all(|c| c.is_ascii_digit());
                        if !status && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                            fields.insert(name.to_owned());
                        }
                    }
                }
            }
        }
    }
    assert!(fields.contains("method") && fields.contains("old_password"), "{fields:?}");
    let missing: Vec<_> = fields.iter().filter(|f| field_label(f, Lang::Zh) == f.as_str()).collect();
    assert!(missing.is_empty(), "fields without a Chinese label in domain::error::field_label: {missing:?}");
}
