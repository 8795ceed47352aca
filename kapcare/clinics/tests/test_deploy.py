"""Production settings pass Django's deployment checks, and every response carries strict headers."""

import os
import subprocess
import sys


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "KAPCARE_ENV": "production",
        "KAPCARE_SECRET_KEY": "a-long-random-production-secret-" + "q7Zx" * 12,
        "KAPCARE_ALLOWED_HOSTS": "kap.example.org",
        "KAPCARE_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "kapcare", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPCARE_SECRET")}
    env |= {"KAPCARE_ENV": "production", "KAPCARE_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "kapcare", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Set KAPCARE_SECRET_KEY" in result.stderr


def test_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
