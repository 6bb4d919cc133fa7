// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.BodyPart;
import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Quota;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.search.FlagTerm;
import jakarta.mail.search.OrTerm;
import jakarta.mail.search.SubjectTerm;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPMessage;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.eclipse.angus.mail.imap.ResyncData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Angus Mail (Jakarta Mail), a real client library, over real sockets. */
class AngusMailIT {
    @TempDir static Path dir;
    static TestImapServer server;

    @BeforeAll static void start() throws Exception { server = new TestImapServer(dir); }

    @AfterAll static void stop() { server.close(); }

    private static Store connect(String user, boolean starttls) throws MessagingException {
        Properties p = new Properties();
        p.put("mail.imap.host", "127.0.0.1");
        p.put("mail.imap.port", Integer.toString(server.port()));
        p.put("mail.imap.connectiontimeout", "5000");
        p.put("mail.imap.timeout", "10000");
        if (starttls) {
            p.put("mail.imap.starttls.enable", "true");
            p.put("mail.imap.starttls.required", "true");
            p.put("mail.imap.ssl.trust", "*");
            p.put("mail.imap.ssl.checkserveridentity", "false");
        }
        Store store = Session.getInstance(p).getStore("imap");
        store.connect(user, "pw-" + user);
        return store;
    }

    private static Store connectImaps(String user) throws MessagingException {
        Properties p = new Properties();
        p.put("mail.imaps.host", "127.0.0.1");
        p.put("mail.imaps.port", Integer.toString(server.tlsPort()));
        p.put("mail.imaps.ssl.trust", "*");
        p.put("mail.imaps.ssl.checkserveridentity", "false");
        Store store = Session.getInstance(p).getStore("imaps");
        store.connect(user, "pw-" + user);
        return store;
    }

    private static MimeMessage message(String subject, String text) throws MessagingException {
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
        m.setFrom(new InternetAddress("bob@example.com", false));
        m.setRecipients(Message.RecipientType.TO, "alice@example.com");
        m.setSubject(subject, "UTF-8");
        m.setSentDate(new Date());
        m.setText(text, "UTF-8");
        m.saveChanges();
        return m;
    }

    @Test void foldersMessagesFlagsSearchCopyMoveExpunge() throws Exception {
        Store store = connect("angus1", true);
        try {
            Folder root = store.getDefaultFolder();
            assertThat(root.getSeparator()).isEqualTo('/');
            List<String> names = java.util.Arrays.stream(root.list("*")).map(Folder::getFullName).toList();
            assertThat(names).contains("INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive");
            Folder work = store.getFolder("Wörk");
            assertThat(work.create(Folder.HOLDS_MESSAGES | Folder.HOLDS_FOLDERS)).isTrue();
            assertThat(store.getFolder("Wörk/Sub").create(Folder.HOLDS_MESSAGES)).isTrue();
            assertThat(work.list()).extracting(Folder::getFullName).containsExactly("Wörk/Sub");
            Folder renamed = store.getFolder("Wörk2");
            assertThat(work.renameTo(renamed)).isTrue();
            renamed.setSubscribed(true);
            assertThat(renamed.isSubscribed()).isTrue();

            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.appendMessages(new Message[] {message("first", "one"), message("Grüße", "zwei"), message("third", "three")});
            inbox.open(Folder.READ_WRITE);
            assertThat(inbox.getMessageCount()).isEqualTo(3);
            Message[] all = inbox.getMessages();
            FetchProfile fp = new FetchProfile();
            fp.add(FetchProfile.Item.ENVELOPE);
            fp.add(FetchProfile.Item.FLAGS);
            fp.add(UIDFolder.FetchProfileItem.UID);
            fp.add(FetchProfile.Item.CONTENT_INFO);
            inbox.fetch(all, fp);
            assertThat(all[1].getSubject()).isEqualTo("Grüße");
            assertThat(all[1].getFrom()[0].toString()).isEqualTo("bob@example.com");
            assertThat(all[1].getContentType()).startsWith("text/plain");
            assertThat(all[1].getContent()).isEqualTo("zwei");
            assertThat(inbox.getUID(all[2])).isEqualTo(3);
            assertThat(inbox.getMessageByUID(2).getSubject()).isEqualTo("Grüße");

            all[0].setFlag(Flags.Flag.FLAGGED, true);
            all[2].setFlags(new Flags("$label1"), true);
            assertThat(inbox.search(new FlagTerm(new Flags(Flags.Flag.FLAGGED), true))).extracting(Message::getMessageNumber).containsExactly(1);
            assertThat(inbox.search(new OrTerm(new SubjectTerm("third"), new SubjectTerm("Grüße")))).extracting(Message::getMessageNumber).containsExactly(2, 3);

            Folder archive = store.getFolder("Archive");
            inbox.copyMessages(new Message[] {all[0]}, archive);
            assertThat(archive.getMessageCount()).isEqualTo(1);
            inbox.moveMessages(new Message[] {all[1]}, store.getFolder("Trash"));
            assertThat(all[1].isExpunged()).isTrue();
            assertThat(store.getFolder("Trash").getMessageCount()).isEqualTo(1);
            inbox.expunge(); // Jakarta Mail keeps numbering until then
            assertThat(inbox.getMessageCount()).isEqualTo(2);
            Message[] left = inbox.getMessages();
            left[0].setFlag(Flags.Flag.DELETED, true);
            Message[] expunged = inbox.expunge();
            assertThat(expunged).hasSize(1);
            assertThat(inbox.getMessageCount()).isEqualTo(1);
            assertThat(inbox.getMessage(1).getSubject()).isEqualTo("third");
            inbox.close(false);

            assertThat(store.getFolder("INBOX").delete(false)).isFalse(); // NO [CANNOT]
            assertThat(store.getFolder("INBOX").exists()).isTrue();
            assertThat(store.getFolder("Wörk2/Sub").delete(false)).isTrue();
        } finally {
            store.close();
        }
    }

    @Test void multipartStructureAndParts() throws Exception {
        Store store = connectImaps("angus2");
        try {
            MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
            m.setFrom(new InternetAddress("carol@example.com"));
            m.setSubject("with attachment");
            MimeMultipart mp = new MimeMultipart("mixed");
            MimeBodyPart text = new MimeBodyPart();
            text.setText("see attached", "UTF-8");
            MimeBodyPart attachment = new MimeBodyPart();
            byte[] bytes = new byte[3000];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (i * 7);
            attachment.setContent(bytes, "application/octet-stream");
            attachment.setFileName("data.bin");
            attachment.setHeader("Content-Transfer-Encoding", "base64");
            mp.addBodyPart(text);
            mp.addBodyPart(attachment);
            m.setContent(mp);
            m.saveChanges();
            Folder inbox = store.getFolder("INBOX");
            inbox.appendMessages(new Message[] {m});
            inbox.open(Folder.READ_ONLY);
            Message got = inbox.getMessage(1);
            Multipart parts = (Multipart) got.getContent();
            assertThat(parts.getCount()).isEqualTo(2);
            BodyPart p1 = parts.getBodyPart(0);
            BodyPart p2 = parts.getBodyPart(1);
            assertThat(p1.getContent()).isEqualTo("see attached");
            assertThat(p2.getFileName()).isEqualTo("data.bin");
            assertThat(p2.getInputStream().readAllBytes()).isEqualTo(bytes);
            assertThat(got.getFlags().contains(Flags.Flag.SEEN)).isFalse(); // read-only: no \Seen side effect
            inbox.close(false);
        } finally {
            store.close();
        }
    }

    @Test void idleSeesNewMessagesAndQuotaAclIdWork() throws Exception {
        IMAPStore watcher = (IMAPStore) connect("angus3", false);
        IMAPStore writer = (IMAPStore) connect("angus3", false);
        try {
            Map<String, String> id = watcher.id(Map.of("name", "angus"));
            assertThat(id).containsEntry("name", "Cairn");
            Quota[] quota = watcher.getQuota("INBOX");
            assertThat(quota).hasSize(1);
            IMAPFolder inbox = (IMAPFolder) watcher.getFolder("INBOX");
            assertThat(inbox.getACL()).isNotEmpty();
            inbox.open(Folder.READ_WRITE);
            CountDownLatch added = new CountDownLatch(1);
            inbox.addMessageCountListener(new jakarta.mail.event.MessageCountAdapter() {
                @Override public void messagesAdded(jakarta.mail.event.MessageCountEvent e) { added.countDown(); }
            });
            Thread idler = Thread.ofVirtual().start(() -> {
                try {
                    inbox.idle(true);
                } catch (MessagingException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(300);
            writer.getFolder("INBOX").appendMessages(new Message[] {message("ping", "pong")});
            assertThat(added.await(10, TimeUnit.SECONDS)).isTrue();
            idler.join(10_000);
            assertThat(inbox.getMessageCount()).isEqualTo(1);
            inbox.close(false);
        } finally {
            watcher.close();
            writer.close();
        }
    }

    @Test void condstoreAndQresyncResync() throws Exception {
        IMAPStore store = (IMAPStore) connect("angus4", false);
        try {
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.appendMessages(new Message[] {message("a", "a"), message("b", "b")});
            inbox.open(Folder.READ_WRITE);
            long validity = inbox.getUIDValidity();
            long modseq = inbox.getHighestModSeq();
            inbox.getMessage(1).setFlag(Flags.Flag.SEEN, true);
            inbox.getMessage(2).setFlag(Flags.Flag.DELETED, true);
            inbox.expunge();
            assertThat(((IMAPMessage) inbox.getMessage(1)).getModSeq()).isGreaterThan(modseq);
            inbox.close(false);
            List<jakarta.mail.event.MailEvent> events = inbox.open(Folder.READ_WRITE, new ResyncData(validity, modseq));
            assertThat(events).isNotEmpty();
            inbox.close(false);
        } finally {
            store.close();
        }
    }
}
