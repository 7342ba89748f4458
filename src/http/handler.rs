//! The dealer's two handlers as the transport calls them: [`Routes`], every route of the table
//! on the main listener, and [`Metrics`], `/metrics` alone on the metrics listener.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use http::{Request, Response};
use hyper::body::Incoming;

use super::{AppState, Body};
use crate::server::{ConnectionInfo, Handler};

/// Every route of the table, over the dealer's state.
#[derive(Clone)]
pub struct Routes(pub Arc<AppState>);

impl Handler for Routes {
    type Body = Body;

    fn call(
        self,
        req: Request<Incoming>,
        conn: &ConnectionInfo,
    ) -> impl Future<Output = Result<Response<Body>, Infallible>> + Send + use<> {
        super::handle(self.0, conn.peer, req)
    }
}

/// The metrics listener's one resource.
#[derive(Clone)]
pub struct Metrics(pub Arc<AppState>);

impl Handler for Metrics {
    type Body = Body;

    fn call(
        self,
        req: Request<Incoming>,
        _conn: &ConnectionInfo,
    ) -> impl Future<Output = Result<Response<Body>, Infallible>> + Send + use<> {
        super::metrics_endpoint::handle(self.0, req)
    }
}
