-- One snapshot from `ccotel statusline` (see limit_snapshots in schema.sql).
INSERT INTO limit_snapshots VALUES (
    $ts, $session_id, $host_name, $user_hint, $model, $app_version, $cost_usd,
    $five_hour_pct, $five_hour_resets_at, $seven_day_pct, $seven_day_resets_at,
    $context_used_pct, $context_window_size, $context_tokens, $cwd, $repo, $git_branch)
