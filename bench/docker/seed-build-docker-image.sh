#!/usr/bin/env bash
# The seed's ./bin/ci/build-docker-image, rebuilt from the blog post's text
# (BKNO3, "Caching docker image on CircleCI"), with its names made
# parameters so the benchmark can point it at the same app and cache
# directory as drydock. Run from the app's folder (the build context).
set -e
IMAGE_NAME=${IMAGE_NAME:-myorg/myapp}
CACHE_DIR_SETTING=${CACHE_DIR_SETTING:-~/docker-images}

# Create a "version tag", depending on the contents of any file which would
# affect the created image.
VERSION_TAG="$( sha1sum Dockerfile requirements/*.txt | sha1sum | cut -d' ' -f1 )"
IMAGE_FULL_NAME="${IMAGE_NAME}:${VERSION_TAG}"

# Cache dir must match the one configured in circle.yml
mkdir -p "$CACHE_DIR_SETTING"
CACHE_DIR="$( readlink -f "$CACHE_DIR_SETTING" )"
IMAGE_ARCHIVE="${CACHE_DIR}/myapp-${VERSION_TAG}.tar"

# Attempt to load the image from cache. If not found, just build it.
if [[ -e "$IMAGE_ARCHIVE" ]]; then
    docker load -i "$IMAGE_ARCHIVE"
else
    docker build -t "$IMAGE_FULL_NAME" .
fi

# Tag the image with the commit SHA1
docker tag "$IMAGE_FULL_NAME" "${IMAGE_NAME}:${CIRCLE_SHA1}"

# And, of course, save the built image in the cache for later
docker save "$IMAGE_FULL_NAME" > "$IMAGE_ARCHIVE"
