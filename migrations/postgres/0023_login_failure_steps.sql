-- Which step of a login failed (issue 28): a mailed password link forgets
-- failed passwords, which anyone may make to lock an owner out, but not
-- failed second steps, which only whoever had the password (or the link)
-- can make: each link would otherwise bring fresh guesses at the code.
ALTER TABLE login_failures ADD COLUMN second_step BOOLEAN NOT NULL DEFAULT FALSE;
