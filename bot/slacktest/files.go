package slacktest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Upload is a file shared through Slack's three steps (files.getUploadURLExternal, the upload to its URL,
// files.completeUploadExternal).
type Upload struct {
	FileID   string
	Filename string
	Title    string
	Channel  string
	ThreadTS string
	Data     []byte
	Time     time.Time
}

// pendingUpload is a file whose URL was handed out, not yet completed.
type pendingUpload struct {
	filename string
	size     int
	data     []byte
	uploaded bool
}

// Uploads returns the files shared so far, oldest first.
func (s *Slack) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.uploads)
}

// filesGetUploadURLExternal hands out an upload URL on the fake for a file of the given name and length.
func (s *Slack) filesGetUploadURLExternal(req apiRequest) apiResult {
	name := req.param("filename")
	size, err := strconv.Atoi(req.param("length"))
	if name == "" || err != nil || size <= 0 {
		return fail("invalid_arguments")
	}
	s.mu.Lock()
	id := "F" + strconv.Itoa(s.nextIDLocked())
	s.pending[id] = &pendingUpload{filename: name, size: size}
	s.mu.Unlock()
	return ok(map[string]any{"upload_url": s.srv.URL + "/upload/" + id, "file_id": id})
}

// serveUpload takes a file's bytes (multipart field "file", or the raw body) at its upload URL.
func (s *Slack) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	var data []byte
	if f, _, err := r.FormFile("file"); err == nil {
		data, err = io.ReadAll(io.LimitReader(f, maxBody))
		f.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	} else if data, err = io.ReadAll(io.LimitReader(r.Body, maxBody)); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, found := s.pending[id]
	if !found {
		http.Error(w, "no such upload", http.StatusNotFound)
		return
	}
	p.data, p.uploaded = data, true
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("OK - " + strconv.Itoa(len(data))))
}

// filesCompleteUploadExternal shares uploaded files in channel_id (in the thread of thread_ts), as a message.
func (s *Slack) filesCompleteUploadExternal(req apiRequest) apiResult {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(req.param("files")), &files); err != nil || len(files) == 0 {
		return fail("invalid_arguments")
	}
	channel := req.param("channel_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if channel != "" {
		channel = s.channelIDLocked(channel)
	}
	var out []map[string]any
	for _, f := range files {
		p, found := s.pending[f.ID]
		if !found || !p.uploaded {
			return fail("file_not_found")
		}
		delete(s.pending, f.ID)
		u := Upload{FileID: f.ID, Filename: p.filename, Title: f.Title, Channel: channel,
			ThreadTS: req.param("thread_ts"), Data: p.data, Time: time.Now()}
		s.uploads = append(s.uploads, u)
		if channel != "" {
			s.history[channel] = append(s.history[channel], Message{TS: s.nextTSLocked(), ThreadTS: u.ThreadTS,
				Text: u.Title, BotID: s.cfg.botID, User: s.cfg.botUserID, Subtype: "file_share"})
		}
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	s.notifyLocked()
	return ok(map[string]any{"files": out})
}

// validBlocks reports whether Slack would take a message's blocks: parseable, and every chart block within the
// data_visualization block's limits (slack-go's Validate). A refused message is answered invalid_blocks.
func validBlocks(raw json.RawMessage) bool {
	if raw == nil {
		return true
	}
	var blocks slack.Blocks
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return false
	}
	for _, b := range blocks.BlockSet {
		if dv, ok := b.(*slack.DataVisualizationBlock); ok && dv.Validate() != nil {
			return false
		}
	}
	return true
}
