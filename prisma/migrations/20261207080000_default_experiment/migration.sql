-- MLflow's Default experiment (id "0") exists from the start and belongs to no one: nobody can
-- become its admin by being first to create a project named "Default". Global admins grant
-- roles in it like in any other project.
INSERT INTO "projects" ("name", "description", "created_at") VALUES ('Default', 'MLflow''s Default experiment (id 0)', now()) ON CONFLICT ("name") DO NOTHING;
