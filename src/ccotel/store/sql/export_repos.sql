-- `ccotel export repos`: one row per project (the directory Claude Code ran in) and git
-- branch, for the API requests of [$from, $to). Telemetry carries no directory: a
-- telemetry session takes the project of its imported transcript, else '(unknown)'.
WITH session_projects AS (
    SELECT session_id, arg_max(project, ts) AS project, arg_max(git_branch, ts) AS git_branch
    FROM events
    WHERE source = 'transcript' AND project IS NOT NULL AND session_id IS NOT NULL
    GROUP BY session_id
),
req AS (
    SELECT e.*, coalesce(e.project, p.project, '(unknown)') AS repo,
           coalesce(e.git_branch, p.git_branch) AS branch
    FROM events e LEFT JOIN session_projects p USING (session_id)
    WHERE e.event_name = 'api_request'
      AND e.ts >= $from AND e.ts < $to
      AND filters_match($filters, e.user_id, e.user_email, e.session_id, e.terminal_type,
                        e.service_version, e.app_version)
      AND ($model IS NULL OR e.model = $model)
)
SELECT
    repo AS project,
    branch AS git_branch,
    count(*) AS requests,
    count(DISTINCT session_id) AS sessions,
    count(DISTINCT user_id) AS users,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM req
GROUP BY ALL
ORDER BY cost_usd DESC, project, git_branch
