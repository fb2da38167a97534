# One image for every Parley process: APIs, site, relays, consumers, Celery workers and
# migrations. docker-compose.yml runs it with a different command per service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PARLEY_VAR_DIR=/var/lib/parley

# The exact pins first, in their own layer, so a code change does not reinstall them.
COPY requirements.lock /tmp/requirements.lock
RUN pip install -r /tmp/requirements.lock && rm /tmp/requirements.lock

# Then the project, installed as a package rather than run from a source tree, so the image
# holds exactly what the package holds (templates, migrations and policy files come from its
# package data); the working directory has no code to shadow it.
WORKDIR /src
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps . && rm -rf /src

RUN useradd --system --user-group --uid 10001 --create-home --home-dir /home/parley parley \
    && install -d -o parley -g parley /var/lib/parley
USER parley
WORKDIR /var/lib/parley

EXPOSE 8000
CMD ["parley", "serve", "--bind", "0.0.0.0:8000"]
