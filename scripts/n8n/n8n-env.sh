#!/usr/bin/env bash
# Source this file to get the environment of a local, offline-safe n8n for the bridge's tests:
#   N8N_USER_FOLDER (scratch), N8N_PORT, WEBHOOK_SECRET, BRIDGE_BASE_URL must be set beforehand.
# SQLite in the user folder, listening on 127.0.0.1 only, every feature that calls out switched
# off (STACK-NOTES), Code nodes allowed `require('crypto')` and `$env` (the workflows need both).
: "${N8N_USER_FOLDER:?set N8N_USER_FOLDER}" "${N8N_PORT:?set N8N_PORT}" "${WEBHOOK_SECRET:?set WEBHOOK_SECRET}" "${BRIDGE_BASE_URL:?set BRIDGE_BASE_URL}"
export N8N_USER_FOLDER N8N_PORT WEBHOOK_SECRET BRIDGE_BASE_URL
export N8N_LISTEN_ADDRESS=127.0.0.1
export N8N_HOST=127.0.0.1
export N8N_PROTOCOL=http
export N8N_WEBHOOK_URL="http://127.0.0.1:${N8N_PORT}/"
export DB_TYPE=sqlite
export N8N_DIAGNOSTICS_ENABLED=false
export N8N_VERSION_NOTIFICATIONS_ENABLED=false
export N8N_TEMPLATES_ENABLED=false
export N8N_PERSONALIZATION_ENABLED=false
export N8N_DYNAMIC_BANNERS_ENABLED=false
export N8N_LICENSE_AUTO_RENEW_ENABLED=false
export N8N_COMMUNITY_PACKAGES_ENABLED=false
export N8N_DISABLED_MODULES=mcp-registry
export N8N_RUNNERS_MODE=internal
export NODE_FUNCTION_ALLOW_BUILTIN=crypto
export N8N_BLOCK_ENV_ACCESS_IN_NODE=false
export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=true
export N8N_SECURE_COOKIE=false
export GENERIC_TIMEZONE=UTC
export N8N_LOG_LEVEL="${N8N_LOG_LEVEL:-info}"
export AUTO_APPROVE="${AUTO_APPROVE:-false}"
