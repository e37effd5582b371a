//! A masked phone number cannot be recovered through the customer search (DOMAIN §8).

use aftersales_testkit::app_test;
use aftersales_testkit::client::ApiClient;
use axum::http::StatusCode;

use crate::pages::form_encode;

app_test!(roles_that_see_masked_phones_find_a_customer_by_a_whole_number_only, |t| {
    let (desk, data) = (t.api(&t.org.desk).await, t.api(&t.org.data).await);
    let found = async |who: &ApiClient, q: &str| -> Vec<String> {
        let r = who.get(&format!("/api/v1/customers?q={}", form_encode(q))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["items"].as_array().unwrap().iter().map(|i| i["short_name"].as_str().unwrap().to_owned()).collect()
    };
    // Contact B's number is 020-86001234; customer A's contacts are 1390000000x.
    assert_eq!(found(&desk, "8600").await, ["南粤印务"], "the desk calls customers: any part");
    assert_eq!(found(&desk, "139000").await, ["浦江精密"]);
    for partial in ["8600", "020-8600123", "139000", "1390000000", "0"] {
        assert!(found(&data, partial).await.is_empty(), "{partial} must not find a customer for a masked role");
    }
    assert_eq!(found(&data, "020-86001234").await, ["南粤印务"], "the whole number finds it");
    assert_eq!(found(&data, "020 8600 1234").await, ["南粤印务"], "written another way");
    assert_eq!(found(&data, "13900000002").await, ["浦江精密"]);
    assert_eq!(found(&data, "南粤").await, ["南粤印务"], "names are searched as before");
    // The answer still masks the numbers for them.
    let r = data.get(&format!("/api/v1/customers/{}/contacts", t.org.customer_b.id)).await;
    assert!(!r.body.to_string().contains("86001234"), "{}", r.body);
});
