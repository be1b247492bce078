-- +goose Up
-- The notices of episodes (package scheduler), whatever they are about: an exposure turning unsafe and usable again
-- (the heads-up, subject its unique_id), a team's health falling (the health alert, subject "health:<team>"). An
-- episode's notices are the one that begins it and the one that ends it.
ALTER TABLE exposure_notices RENAME TO episode_notices;
ALTER TABLE episode_notices RENAME COLUMN exposure_id TO subject;
UPDATE episode_notices SET kind = CASE kind WHEN 'unsafe' THEN 'begins' WHEN 'usable' THEN 'ends' ELSE kind END;

-- +goose Down
UPDATE episode_notices SET kind = CASE kind WHEN 'begins' THEN 'unsafe' WHEN 'ends' THEN 'usable' ELSE kind END;
DELETE FROM episode_notices WHERE subject NOT LIKE 'exposure.%';
ALTER TABLE episode_notices RENAME COLUMN subject TO exposure_id;
ALTER TABLE episode_notices RENAME TO exposure_notices;
