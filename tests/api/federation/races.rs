//! Bindings racing a trust's removal: one of the two wins, and no binding outlives its trust to
//! be inherited by a trust of the same name added later for another issuer.

use std::sync::Arc;

use reqwest::Method;

use super::{add_federated, trust};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_binding_and_the_removal_of_its_trust_at_once_never_both_succeed() {
    let app = Arc::new(spawn_app().await);
    for round in 0..30 {
        let name = format!("race{round}");
        trust(&app, &name, &format!("https://k8s-{round}.example")).await;
        let start = Arc::new(tokio::sync::Barrier::new(2));
        let add = {
            let (app, start, name) = (app.clone(), start.clone(), name.clone());
            tokio::spawn(async move {
                start.wait().await;
                let client = format!("bound{round}");
                add_federated(&app, &client, &[(&name, "system:serviceaccount:a:b")])
                    .await
                    .status()
                    .as_u16()
            })
        };
        let remove = {
            let (app, start, name) = (app.clone(), start.clone(), name.clone());
            tokio::spawn(async move {
                start.wait().await;
                let path = format!("/admin/trust/{name}");
                app.admin(Method::DELETE, &path, None)
                    .await
                    .status()
                    .as_u16()
            })
        };
        let (added, removed) = (add.await.unwrap(), remove.await.unwrap());
        assert!(
            matches!((added, removed), (201, 409) | (400 | 409, 200)),
            "round {round}: registration {added}, removal {removed}: exactly one wins"
        );
        if removed == 200 {
            // Trusted again, for another issuer: the name inherits no binding.
            trust(&app, &name, &format!("https://other-{round}.example")).await;
            let clients = app.admin(Method::GET, "/admin/clients", None).await;
            let listed = clients.text().await.unwrap();
            assert!(!listed.contains(&format!("bound{round}")), "{listed}");
        }
    }
}
