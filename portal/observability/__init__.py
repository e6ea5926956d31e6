"""Operations: request logs with a request id, Prometheus metrics, readiness (README, Operations)."""

from __future__ import annotations


def init_app(app) -> None:
    from portal import metrics
    from portal.observability import requestlog
    from portal.observability.views import bp

    requestlog.configure_logging(app.config["LOG_FORMAT"])
    app.before_request(requestlog.start_request)

    @app.after_request
    def log_request(response):
        requestlog.finish_request(response, metrics.observe_request)
        return response

    app.register_blueprint(bp)
