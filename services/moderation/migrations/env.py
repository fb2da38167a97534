from services.moderation.models import Base
from shared.db import run_migrations

run_migrations(Base.metadata)
